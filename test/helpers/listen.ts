import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';

/** Listens on a free port of 127.0.0.1 and answers the base URL (for tests over a real socket). */
export async function listen(h: { app: FastifyInstance }): Promise<string> {
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  const address = h.app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}

/** Rows in pageviews. */
export async function countPageviews(db: { query: <T>(sql: string) => Promise<T[]> }): Promise<number> {
  const [row] = await db.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM pageviews');
  return Number(row?.n);
}

/** Sends `request` as it is (raw HTTP, however malformed) to `base` and answers all the server sent back. */
export async function rawRequest(base: string, request: string): Promise<string> {
  const socket = connect(Number(new URL(base).port), '127.0.0.1');
  await once(socket, 'connect');
  socket.end(request);
  let data = '';
  socket.setEncoding('latin1');
  socket.on('data', (d) => (data += d));
  await once(socket, 'close');
  return data;
}

/**
 * POSTs `body` with node:http (on `agent`'s kept-alive sockets when given) and answers the status, or 0
 * when no answer came. For tests that send thousands of requests: undici's fetch costs ~1-3 ms of CPU
 * a request (more with a large body, which it copies), node:http a fraction of that.
 */
export function post(url: string, body: Buffer | string, headers: Record<string, string>, agent?: Agent): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    // A server that answers before reading an oversized body may then reset the socket: an error after
    // the answer has ended changes nothing (settled), one before it gives 0, as fetch's rejection did.
    req.on('error', () => resolve(0));
    req.end(body);
  });
}
