// Hostile and abusive traffic over a real socket: always 204, never stored, never a crash.
import { once } from 'node:events';
import { Agent } from 'node:http';
import { connect } from 'node:net';
import t from 'tap';
import type { RowDataPacket } from 'mysql2/promise';
import { buildTestApp, CHROME_UA, metricValue } from '../helpers/app.js';
import { listen, post } from '../helpers/listen.js';

/** A small deterministic PRNG, so a failing case can be reproduced from its seed. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function hostileBodies(count: number, seed: number): { body: Buffer; type: string }[] {
  const r = rng(seed);
  const pick = <T,>(xs: T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const deep = (n: number, open: string, close: string) => open.repeat(n) + close.repeat(n);
  const makers: (() => { body: Buffer | string; type: string })[] = [
    () => ({ body: deep(1 + Math.floor(r() * 20_000), '[', ']'), type: 'application/json' }),
    () => ({ body: deep(1 + Math.floor(r() * 5000), '{"a":', '}').replace(/}$/, '1}'), type: 'text/plain' }),
    () => ({ body: '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"payload":{"__proto__":{"polluted":true}}}', type: 'application/json' }),
    () => ({ body: 'url=x&__proto__[polluted]=1&constructor[prototype][polluted]=1&payload={"__proto__":{"polluted":1}}', type: 'application/x-www-form-urlencoded' }),
    () => ({ body: Buffer.alloc(1024 * 1024, 'a'), type: pick(['application/json', 'text/plain', 'multipart/form-data; boundary=x']) }),
    () => ({ body: Buffer.from([0x7b, 0x22, 0x75, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]), type: 'application/json' }),
    () => ({ body: `{"url":"https://exa\u0000mple.com/","type":"page\u0000view"}`, type: 'application/json' }),
    () => ({ body: '{"url":"https://example.com/","timestamp":1e400,"viewportW":1e400,"payload":{"n":-1e400}', type: 'application/json' }),
    () => ({ body: '<?xml version="1.0"?><beacon/>', type: pick(['application/xml', 'text/xml', 'application/octet-stream', 'image/png', 'foo/bar; x=y']) }),
    () => ({ body: Buffer.from(Array.from({ length: 1 + Math.floor(r() * 4000) }, () => Math.floor(r() * 256))), type: pick(['application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=----x']) }),
    () => ({ body: JSON.stringify(Array.from({ length: 51 + Math.floor(r() * 100) }, () => ({ url: 'https://example.com/' }))), type: 'application/json' }),
    () => ({ body: JSON.stringify({ url: pick(['javascript:alert(1)', 'data:text/html,<script>', '//example.com', 'https://', 'x'.repeat(3000), 'ftp://example.com/']) }), type: 'application/json' }),
    () => ({ body: JSON.stringify({ url: 12, type: { $ne: null } }), type: 'application/json' }),
    () => ({ body: JSON.stringify([null, 1, 'x', [], true]), type: 'application/json' }),
  ];
  return Array.from({ length: count }, () => {
    const { body, type } = pick(makers)();
    return { body: Buffer.isBuffer(body) ? body : Buffer.from(body), type };
  });
}

t.test('a fuzz of thousands of hostile bodies: 204 each, nothing stored, no pollution, still healthy', async (t) => {
  const h = await buildTestApp(t, { LOG_LEVEL: 'warn' });
  const base = await listen(h);
  const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 100_000);
  t.comment(`FUZZ_SEED=${seed}`);
  const bodies = hostileBodies(3000, seed);
  let i = 0;
  const statuses = new Map<number, number>();
  const worker = async () => {
    while (i < bodies.length) {
      const { body, type } = bodies[i++] as { body: Buffer; type: string };
      const status = await post(`${base}/collect`, body, { 'content-type': type, 'user-agent': CHROME_UA }, agent);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  };
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  t.teardown(() => agent.destroy());
  await Promise.all(Array.from({ length: 8 }, worker));
  t.same([...statuses.keys()], [204], `every answer 204 (${JSON.stringify(Object.fromEntries(statuses))})`);
  await h.flush();
  const [r] = await h.db.query<RowDataPacket>('SELECT COUNT(*) AS n FROM pageviews');
  t.equal(Number(r?.n), 0, 'nothing stored');
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched');
  t.equal((await fetch(`${base}/health`)).status, 200, 'healthy');
  const valid = await fetch(`${base}/collect`, { method: 'POST', body: JSON.stringify({ url: 'https://example.com/after-fuzz' }), headers: { 'user-agent': CHROME_UA } });
  t.equal(valid.status, 204);
  await h.flush();
  const rows = await h.db.query<RowDataPacket>('SELECT url FROM pageviews');
  t.same(rows.map((x) => x.url), ['https://example.com/after-fuzz'], 'a valid beacon still lands');
});

t.test('huge headers on /collect: 204, counted, nothing stored', async (t) => {
  const h = await buildTestApp(t);
  const base = await listen(h);
  const res = await fetch(`${base}/collect`, { method: 'POST', body: JSON.stringify({ url: 'https://example.com/' }), headers: { 'user-agent': CHROME_UA, 'x-junk': 'j'.repeat(40_000) } }).catch(() => null);
  t.equal(res?.status, 204);
  await h.flush();
  const [r] = await h.db.query<RowDataPacket>('SELECT COUNT(*) AS n FROM pageviews');
  t.equal(Number(r?.n), 0);
});

t.test('RATE_LIMIT_PER_MIN drops the excess per address with reason rate_limited and still answers 204', async (t) => {
  const h = await buildTestApp(t, { RATE_LIMIT_PER_MIN: '30', TRUST_PROXY: 'loopback' });
  const base = await listen(h);
  const send = (n: number, ip: string) =>
    fetch(`${base}/collect`, { method: 'POST', body: JSON.stringify(Array.from({ length: n }, (_, i) => ({ url: `https://example.com/${ip}/${i}` }))), headers: { 'user-agent': CHROME_UA, 'x-forwarded-for': ip } });
  t.equal((await send(20, '198.51.100.1')).status, 204);
  t.equal((await send(20, '198.51.100.1')).status, 204, 'over the limit: still 204, not 429');
  t.equal((await send(20, '198.51.100.2')).status, 204, 'another address has its own budget');
  await h.flush();
  const [r] = await h.db.query<RowDataPacket>('SELECT COUNT(*) AS n FROM pageviews');
  t.equal(Number(r?.n), 50, '30 from the first address, 20 from the second');
  const metrics = await (await fetch(`${base}/metrics`)).text();
  t.equal(metricValue(metrics, 'beacon_rejected_total{reason="rate_limited"}'), 10, 'counted per beacon');
});

t.test('a request that never finishes sending is cut off, and the server keeps serving', async (t) => {
  const h = await buildTestApp(t, {}, () => {}, undefined, { idleTimeoutMs: 500 });
  const base = await listen(h);
  const socket = connect(Number(new URL(base).port), '127.0.0.1');
  await once(socket, 'connect');
  socket.write('POST /collect HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n{"url":');
  socket.on('error', () => {});
  const started = Date.now();
  await once(socket, 'close');
  t.ok(Date.now() - started < 5000, `closed by the server after ${Date.now() - started} ms`);
  t.equal((await fetch(`${base}/health`)).status, 200);
});
