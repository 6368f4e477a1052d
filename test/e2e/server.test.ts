// Over a real socket: the app listening on a port, and the real process with a real signal.
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from '../../src/sinks/sqlite-driver.js';
import t from 'tap';
import type { RowDataPacket } from 'mysql2/promise';
import { buildTestApp, CHROME_UA, SAFARI_IOS_UA, metricValue, TEST_SECRET } from '../helpers/app.js';
import { freshDatabase } from '../helpers/db.js';
import { runScript, startService, until } from '../helpers/process.js';
import { buildMmdb } from '../helpers/mmdb-writer.js';

async function listen(h: { app: import('fastify').FastifyInstance }): Promise<string> {
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  const address = h.app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}

async function count(db: { query: <T>(sql: string) => Promise<T[]> }): Promise<number> {
  const [row] = await db.query<RowDataPacket>('SELECT COUNT(*) AS n FROM pageviews');
  return Number(row?.n);
}


t.test('a listening server stores beacons of every body type sent over HTTP', async (t) => {
  const h = await buildTestApp(t, { ALLOWED_ORIGINS: 'https://shop.example', FLUSH_MAX_ROWS: '4' });
  const base = await listen(h);
  const headers = { origin: 'https://shop.example', 'user-agent': SAFARI_IOS_UA };
  const send = (body: NonNullable<RequestInit['body']>, extra: Record<string, string> = {}) =>
    fetch(`${base}/collect`, { method: 'POST', body, headers: { ...headers, ...extra } });
  const answers = [
    await send(JSON.stringify({ url: 'https://shop.example/json' }), { 'content-type': 'application/json' }),
    await send(JSON.stringify({ url: 'https://shop.example/beacon' }), { 'content-type': 'text/plain;charset=UTF-8' }),
    await send(new URLSearchParams({ url: 'https://shop.example/form' })),
    await send((() => {
      const fd = new FormData();
      fd.set('url', 'https://shop.example/multipart');
      return fd;
    })()),
  ];
  t.same(answers.map((r) => r.status), [204, 204, 204, 204]);
  t.same(await Promise.all(answers.map((r) => r.text())), ['', '', '', '']);
  t.ok(await until(async () => (await count(h.db)) === 4, 5000), 'size trigger wrote all four (FLUSH_MAX_ROWS=4)');
  const urls = await h.db.query<RowDataPacket>('SELECT url, user_agent FROM pageviews ORDER BY id');
  t.same(urls.map((r) => r.url), ['https://shop.example/json', 'https://shop.example/beacon', 'https://shop.example/form', 'https://shop.example/multipart']);
  t.equal(urls[0]?.user_agent, SAFARI_IOS_UA);

  const pre = await fetch(`${base}/collect`, { method: 'OPTIONS', headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' } });
  t.equal(pre.status, 204);
  t.equal(pre.headers.get('access-control-allow-origin'), 'https://shop.example');
});

t.test('size trigger: a flush starts as soon as FLUSH_MAX_ROWS rows wait', async (t) => {
  const h = await buildTestApp(t, { FLUSH_MAX_ROWS: '10', FLUSH_INTERVAL_MS: '600000' });
  const base = await listen(h);
  const body = (n: number, from: number) => JSON.stringify(Array.from({ length: n }, (_, i) => ({ url: `https://example.com/${from + i}` })));
  await fetch(`${base}/collect`, { method: 'POST', body: body(9, 0), headers: { 'user-agent': CHROME_UA } });
  await sleep(300);
  t.equal(await count(h.db), 0, '9 rows wait: no flush yet');
  await fetch(`${base}/collect`, { method: 'POST', body: body(1, 9), headers: { 'user-agent': CHROME_UA } });
  t.ok(await until(async () => (await count(h.db)) === 10, 3000), 'the 10th row triggers the flush');
  const metrics = await (await fetch(`${base}/metrics`)).text();
  t.equal(metricValue(metrics, 'beacon_rows_written_total'), 10);
  t.equal(metricValue(metrics, 'beacon_flush_duration_seconds_count'), 1, 'in one multi-row statement');
});

t.test('timer trigger: a single row is written after FLUSH_INTERVAL_MS', async (t) => {
  const h = await buildTestApp(t, { FLUSH_MAX_ROWS: '100', FLUSH_INTERVAL_MS: '200' });
  const base = await listen(h);
  await fetch(`${base}/collect`, { method: 'POST', body: JSON.stringify({ url: 'https://example.com/one' }), headers: { 'user-agent': CHROME_UA } });
  t.equal(h.app.writer.size, 1, 'buffered, not written at once');
  t.ok(await until(async () => (await count(h.db)) === 1, 3000), 'written by the timer');
});

t.test('oversized headers and malformed requests to /collect still get 204 over a real socket', async (t) => {
  const h = await buildTestApp(t);
  const base = await listen(h);
  const port = Number(new URL(base).port);
  const raw = async (request: string): Promise<string> => {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.end(request);
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (d) => (data += d));
    await once(socket, 'close');
    return data;
  };
  const huge = 'x'.repeat(20_000);
  const overflow = await raw(`POST /collect HTTP/1.1\r\nHost: a\r\nX-Big: ${huge}\r\nContent-Length: 2\r\n\r\n{}`);
  t.match(overflow, /^HTTP\/1\.1 204 /, 'header overflow: 204');
  const broken = await raw('POST /collect HTTP/1.1\r\nHost: a\r\nContent-Length: nope\r\n\r\n');
  t.match(broken, /^HTTP\/1\.1 204 /, 'malformed request: 204');
  const other = await raw(`GET /health HTTP/1.1\r\nHost: a\r\nX-Big: ${huge}\r\n\r\n`);
  t.match(other, /^HTTP\/1\.1 431 /, 'other paths keep the usual answer');
  const metrics = await (await fetch(`${base}/metrics`)).text();
  t.ok(metricValue(metrics, 'beacon_rejected_total{reason="too_large"}') >= 1, 'counted');
});

t.test('closing the app writes the buffer before the pool closes (writer hook runs before the sink hook)', async (t) => {
  const db = await freshDatabase(t);
  const h = await buildTestApp(t, { FLUSH_MAX_ROWS: '100000' }, () => {}, db);
  for (let i = 0; i < 20; i++) {
    await h.app.inject({ method: 'POST', url: '/collect', payload: JSON.stringify({ url: `https://example.com/${i}` }), headers: { 'user-agent': CHROME_UA } });
  }
  t.equal(h.app.writer.size, 20);
  await h.app.close();
  t.equal(await count(db), 20);
});

t.test('SIGTERM with 5,000 buffered rows: the real process keeps taking beacons during SHUTDOWN_DELAY_MS, then loses none', async (t) => {
  const db = await freshDatabase(t);
  const port = 20000 + Math.floor(Math.random() * 20000);
  const service = startService(t, {
    ...process.env,
    DATABASE_URL: db.url,
    PORT: String(port),
    HOST: '127.0.0.1',
    HASH_SECRET: TEST_SECRET,
    FLUSH_INTERVAL_MS: '600000',
    FLUSH_MAX_ROWS: '100000',
    SHUTDOWN_DELAY_MS: '1500',
    LOG_LEVEL: 'info',
  });
  const base = `http://127.0.0.1:${port}`;
  t.ok(await service.ready(base), 'started');

  for (let batch = 0; batch < 100; batch++) {
    const body = JSON.stringify(Array.from({ length: 50 }, (_, i) => ({ url: `https://example.com/${batch}/${i}` })));
    const res = await fetch(`${base}/collect`, { method: 'POST', body, headers: { 'user-agent': CHROME_UA, 'content-type': 'text/plain' } });
    t.equal(res.status, 204);
  }
  const health = (await (await fetch(`${base}/health`)).json()) as { buffer: { rows: number } };
  t.equal(health.buffer.rows, 5000, '5,000 rows buffered');
  t.equal(await count(db), 0, 'none written yet');

  const exited = service.stop('SIGTERM');
  await sleep(300);
  t.equal((await fetch(`${base}/ready`)).status, 503, '/ready is 503 while draining');
  const late = await fetch(`${base}/collect`, { method: 'POST', body: JSON.stringify({ url: 'https://example.com/late' }), headers: { 'user-agent': CHROME_UA } });
  t.equal(late.status, 204, 'a beacon during the delay is still taken');

  t.equal(await exited, 0, 'exit 0');
  t.equal(await count(db), 5001, 'every buffered row written');
  t.match(service.output(), /buffer drained/);
});

t.test('bad configuration stops the real process at start, naming the variable', async (t) => {
  const run = async (env: Record<string, string>) => {
    const clean = { ...process.env };
    delete clean.DATABASE_URL;
    const { code, out } = await runScript('src/server.ts', { ...clean, ...env });
    return { code, stderr: out };
  };
  const badDb = await run({ DATABASE_URL: 'postgres://localhost/x' });
  t.equal(badDb.code, 1);
  t.match(badDb.stderr, /DATABASE_URL has scheme postgres: expected mysql:\/\/.* or sqlite:PATH/);
  const badPort = await run({ DATABASE_URL: 'mysql://root@127.0.0.1:3306/x', PORT: 'eighty' });
  t.equal(badPort.code, 1);
  t.match(badPort.stderr, /PORT must be an integer/);
});

t.test('a beacon still uploading when close() starts is answered 204 and stored, not 503', async (t) => {
  const db = await freshDatabase(t);
  const h = await buildTestApp(t, {}, () => {}, db);
  const base = await listen(h);
  const port = Number(new URL(base).port);
  const body = JSON.stringify({ url: 'https://example.com/while-closing' });
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(`POST /collect HTTP/1.1\r\nHost: a\r\nUser-Agent: ${CHROME_UA}\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`);
  await sleep(100);
  const closing = h.app.close();
  await sleep(100);
  socket.end(body.slice(10));
  let answer = '';
  socket.setEncoding('latin1');
  socket.on('data', (d) => (answer += d));
  await once(socket, 'close');
  await closing;
  t.match(answer, /^HTTP\/1\.1 204 /);
  t.equal(await count(db), 1, 'taken and drained');
});

t.test('overflow: past BUFFER_CAPACITY rows go to the spool; past SPOOL_MAX_BYTES they are dropped and counted', async (t) => {
  const h = await buildTestApp(t, { BUFFER_CAPACITY: '10', FLUSH_MAX_ROWS: '10', FLUSH_INTERVAL_MS: '600000' });
  const base = await listen(h);
  const body = JSON.stringify(Array.from({ length: 12 }, (_, i) => ({ url: `https://example.com/${i}` })));
  t.equal((await fetch(`${base}/collect`, { method: 'POST', body, headers: { 'user-agent': CHROME_UA } })).status, 204);
  let metrics = await (await fetch(`${base}/metrics`)).text();
  t.equal(metricValue(metrics, 'beacon_accepted_total'), 12, 'the two past the ring were spooled, not dropped');
  t.equal(metricValue(metrics, 'beacon_rejected_total{reason="overflow"}'), 0);
  await h.flush();
  const stored = await h.db.query<RowDataPacket>('SELECT url FROM pageviews ORDER BY id');
  t.same(stored.map((r) => r.url), Array.from({ length: 12 }, (_, i) => `https://example.com/${i}`), 'all stored, in order');
  metrics = await (await fetch(`${base}/metrics`)).text();
  t.equal(metricValue(metrics, 'beacon_spool_rows'), 0);

  const capped = await buildTestApp(t, { BUFFER_CAPACITY: '10', FLUSH_MAX_ROWS: '10', SPOOL_MAX_BYTES: '0' });
  const res = await capped.app.inject({ method: 'POST', url: '/collect', payload: body, headers: { 'user-agent': CHROME_UA } });
  t.equal(res.statusCode, 204);
  metrics = (await capped.app.inject('/metrics')).body;
  t.equal(metricValue(metrics, 'beacon_rejected_total{reason="overflow"}'), 2);
  t.equal(metricValue(metrics, 'beacon_accepted_total'), 10);
});

t.test('npm run migrate (the real script) migrates and reports the version', async (t) => {
  const db = await freshDatabase(t);
  const run = () => runScript('src/migrate.ts', { ...process.env, DATABASE_URL: db.url });
  const first = await run();
  t.equal(first.code, 0);
  t.match(first.out, /^applied 1\.do\.pageviews-and-salts, 2\.do\.sessions, .*; schema version \d+\n$/);
  const second = await run();
  t.match(second.out, /^up to date; schema version \d+\n$/);
});

t.test('GeoIP over HTTP with only TRUST_PROXY set, and SIGHUP reloading the database in the real process', async (t) => {
  const h = await buildTestApp(t, { TRUST_PROXY: '127.0.0.1' });
  const base = await listen(h);
  const res = await fetch(`${base}/collect`, { method: 'POST', body: JSON.stringify({ url: 'https://example.com/' }), headers: { 'user-agent': CHROME_UA, 'x-forwarded-for': '8.8.8.8' } });
  t.equal(res.status, 204);
  await h.flush();
  const [row] = await h.db.query<RowDataPacket>('SELECT geo_country FROM pageviews');
  t.equal(row?.geo_country, 'US');

  const dir = mkdtempSync(join(tmpdir(), 'bi-sighup-'));
  const file = join(dir, 'country.mmdb');
  writeFileSync(file, buildMmdb([['203.0.113.0/24', { country: { iso_code: 'DE' } }]]));
  const db = await freshDatabase(t);
  const port = 20000 + Math.floor(Math.random() * 20000);
  const service = startService(t, { ...process.env, DATABASE_URL: db.url, PORT: String(port), HOST: '127.0.0.1', HASH_SECRET: TEST_SECRET, GEOIP_DB: file, TRUST_PROXY: 'loopback', FLUSH_MAX_ROWS: '1' });
  const url = `http://127.0.0.1:${port}`;
  t.ok(await service.ready(url), 'started');
  const beacon = () => fetch(`${url}/collect`, { method: 'POST', body: JSON.stringify({ url: 'https://example.com/' }), headers: { 'user-agent': CHROME_UA, 'x-forwarded-for': '203.0.113.5' } });
  await beacon();
  writeFileSync(file, buildMmdb([['203.0.113.0/24', { country_code: 'IT' }]]));
  service.child.kill('SIGHUP');
  t.ok(await until(async () => service.output().includes('GeoIP database reloaded'), 5000), 'reloaded on SIGHUP');
  await beacon();
  t.ok(await until(async () => (await count(db)) === 2, 5000));
  const countries = await db.query<RowDataPacket>('SELECT geo_country FROM pageviews ORDER BY id');
  t.same(countries.map((r) => r.geo_country), ['DE', 'IT']);
  t.equal(service.child.exitCode, null, 'SIGHUP did not stop the service');
  t.equal(await service.stop('SIGTERM'), 0);
});

t.test('zero configuration: no database settings, no ALLOWED_ORIGINS: it warns, accepts, and the SQLite file has the rows and sessions after SIGTERM', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bi-zero-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const env: Record<string, string | undefined> = { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir };
  delete env.DATABASE_URL;
  delete env.ALLOWED_ORIGINS;
  delete env.HASH_SECRET;
  const service = startService(t, env);
  const base = `http://127.0.0.1:${port}`;
  t.ok(await service.ready(base), 'started');
  t.match(service.output(), /ALLOWED_ORIGINS is unset/);
  t.match(service.output(), new RegExp(`store ready: sqlite ${join(dataDir, 'analytics.db').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  for (const url of ['https://example.com/', 'https://example.com/pricing']) {
    const res = await fetch(`${base}/collect`, { method: 'POST', body: JSON.stringify({ url }), headers: { 'user-agent': CHROME_UA, origin: 'https://example.com' } });
    t.equal(res.status, 204);
  }
  t.equal(await service.stop('SIGTERM'), 0);
  const db = new Database(join(dataDir, 'analytics.db'), { readonly: true });
  t.teardown(() => db.close());
  t.same((db.prepare('SELECT url FROM pageviews ORDER BY id').all() as { url: string }[]).map((r) => r.url), ['https://example.com/', 'https://example.com/pricing']);
  t.match(db.prepare('SELECT pageviews, exit_url FROM sessions').all(), [{ pageviews: 2, exit_url: 'https://example.com/pricing' }]);
  t.ok(readFileSync(join(dataDir, 'secret'), 'utf8').trim().length >= 32, 'a secret was generated');
});
