import { once } from 'node:events';
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
