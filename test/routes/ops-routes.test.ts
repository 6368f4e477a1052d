// The ops routes (/health, /ready, /metrics) as operators meet them: no CORS, no query per /health
// call, /health's detail behind METRICS_TOKEN. State is read through HTTP answers, never metric names.
import { createServer, connect, type Socket } from 'node:net';
import t from 'tap';
import { buildTestApp, CHROME_UA } from '../helpers/app.js';
import { freshDatabase, TEST_STORE } from '../helpers/db.js';

const EVIL = 'https://evil.example';

t.test('the ops routes answer no CORS, not even to a preflight; the collect route still does', async (t) => {
  const h = await buildTestApp(t);
  for (const url of ['/health', '/ready', '/metrics']) {
    const res = await h.app.inject({ url, headers: { origin: EVIL } });
    t.equal(res.statusCode, 200, url);
    t.equal(res.headers['access-control-allow-origin'], undefined, `${url}: no Access-Control-Allow-Origin`);
    t.equal(res.headers['access-control-allow-credentials'], undefined, `${url}: no Access-Control-Allow-Credentials`);
    const pre = await h.app.inject({ method: 'OPTIONS', url, headers: { origin: EVIL, 'access-control-request-method': 'GET' } });
    t.equal(pre.headers['access-control-allow-origin'], undefined, `${url}: preflight not allowed`);
  }
  const collect = await h.app.inject({ method: 'OPTIONS', url: '/collect', headers: { origin: EVIL, 'access-control-request-method': 'POST' } });
  t.equal(collect.headers['access-control-allow-origin'], EVIL, 'ALLOWED_ORIGINS unset: /collect still echoes the origin');
});

t.test('the collector script varies on Origin as well as Accept-Encoding (a shared cache must not mix sites)', async (t) => {
  const h = await buildTestApp(t);
  const res = await h.app.inject({ url: '/collector.js', headers: { origin: 'https://shop.example', 'accept-encoding': 'gzip' } });
  t.equal(res.statusCode, 200);
  t.equal(res.headers['access-control-allow-origin'], 'https://shop.example');
  const vary = String(res.headers.vary).toLowerCase().split(',').map((s) => s.trim());
  t.ok(vary.includes('origin'), `Vary has Origin (${res.headers.vary})`);
  t.ok(vary.includes('accept-encoding'), `Vary has Accept-Encoding (${res.headers.vary})`);
});

t.test('with METRICS_TOKEN, /health shows its detail only to the token; the bare status to anyone', async (t) => {
  const h = await buildTestApp(t, { METRICS_TOKEN: 'ops-token-123' });
  const bare = await h.app.inject('/health');
  t.equal(bare.statusCode, 200, 'a healthcheck without the token still sees 200');
  t.same(bare.json(), { status: 'ok' });
  const wrong = await h.app.inject({ url: '/health', headers: { authorization: 'Bearer nope' } });
  t.same(wrong.json(), { status: 'ok' });
  const full = await h.app.inject({ url: '/health', headers: { authorization: 'Bearer ops-token-123' } });
  t.match(full.json(), { status: 'ok', database: 'up', buffer: { rows: 0 }, spool: { rows: 0 } });
  t.equal((await h.app.inject('/ready')).statusCode, 200, '/ready needs no token');

  const open = await buildTestApp(t);
  t.match((await open.app.inject('/health')).json(), { status: 'ok', database: 'up', buffer: { rows: 0 } }, 'no token set: detail for all');
});

/** A TCP proxy to MariaDB counting the statements (COM_QUERY packets) its clients send. */
async function countingProxy(t: { teardown(fn: () => unknown): void }): Promise<{ port: number; statements: () => number }> {
  let statements = 0;
  const server = createServer((client: Socket) => {
    const upstream = connect(3306, '127.0.0.1');
    let pending = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      // MySQL packets: 3-byte length, 1-byte sequence id, payload. A command starts a sequence (id 0); 0x03 is COM_QUERY.
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4) {
        const length = pending.readUIntLE(0, 3);
        if (pending.length < 4 + length) break;
        if (pending[3] === 0 && pending[4] === 0x03) statements++;
        pending = pending.subarray(4 + length);
      }
      upstream.write(chunk);
    });
    upstream.pipe(client);
    for (const s of [client, upstream]) s.on('error', () => {});
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  server.unref();
  return { port: (server.address() as { port: number }).port, statements: () => statements };
}

t.test('300 /health calls over a real socket cost at most a few statements', { skip: TEST_STORE !== 'mysql' && 'counts MySQL statements' }, async (t) => {
  const db = await freshDatabase(t, 'mysql');
  const proxy = await countingProxy(t);
  // Only the service's statements pass the proxy, so tests running in parallel cannot disturb the count.
  const h = await buildTestApp(t, {}, (c) => {
    c.databaseUrl = db.url.replace(':3306/', `:${proxy.port}/`);
  }, db);
  const address = await h.app.listen({ port: 0, host: '127.0.0.1' });
  t.equal((await fetch(`${address}/health`)).status, 200, 'warm');
  const before = proxy.statements();
  const started = Date.now();
  const answers = [];
  for (let i = 0; i < 30; i++) answers.push(...(await Promise.all(Array.from({ length: 10 }, () => fetch(`${address}/health`).then(async (r) => (await r.json()) as { database: string })))));
  const seconds = (Date.now() - started) / 1000;
  const spent = proxy.statements() - before;
  t.equal(answers.length, 300);
  t.ok(answers.every((a) => a.database === 'up'), 'every answer knows the database is up');
  t.ok(spent <= Math.ceil(seconds) + 2, `${spent} statements for 300 calls in ${seconds.toFixed(2)} s: at most one a second`);

  // A beacon still goes through the same pool afterwards.
  await fetch(`${address}/collect`, { method: 'POST', body: '{"url":"https://example.com/after"}', headers: { 'user-agent': CHROME_UA } });
  await h.flush();
  t.equal((await db.query('SELECT url FROM pageviews')).length, 1);
});
