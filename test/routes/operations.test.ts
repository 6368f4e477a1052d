import t from 'tap';
import type { RowDataPacket } from 'mysql2/promise';
import { RetentionJob } from '../../src/maintenance/retention.js';
import { buildTestApp, CHROME_UA, type TestApp } from '../helpers/app.js';

const DAY = 86_400_000;

async function send(h: TestApp, url: string, ip: string) {
  await h.app.inject({ method: 'POST', url: '/collect', payload: JSON.stringify({ url }), headers: { 'user-agent': CHROME_UA, 'x-forwarded-for': ip } });
}

t.test('retention deletes only rows and sessions older than the limit, in small batches', async (t) => {
  const now = Date.UTC(2026, 10, 23, 12);
  const clock = { now: now - 40 * DAY };
  const h = await buildTestApp(t, { TRUST_PROXY: 'true', RETENTION_DAYS: '30' }, (c) => {
    c.clock = () => clock.now;
  });
  for (let i = 0; i < 25; i++) await send(h, `https://example.com/old/${i}`, `198.51.100.${i}`); // 40 days ago
  clock.now = now - 29 * DAY;
  for (let i = 0; i < 3; i++) await send(h, `https://example.com/recent/${i}`, `198.51.100.${i}`);
  await h.flush();
  clock.now = now;
  const job = new RetentionJob({ repo: h.app.sink, days: 30, clock: () => clock.now, batchRows: 10, pauseMs: 1 });
  const deleted = await job.runOnce();
  t.same(deleted, { pageviews: 25, sessions: 25 }, 'in batches of 10');
  const left = await h.db.query<RowDataPacket>('SELECT url FROM pageviews ORDER BY id');
  t.same(left.map((r) => r.url), ['https://example.com/recent/0', 'https://example.com/recent/1', 'https://example.com/recent/2']);
  const sessions = await h.db.query<RowDataPacket>('SELECT COUNT(*) AS n FROM sessions');
  t.equal(Number(sessions[0]?.n), 3, 'sessions seen within the limit stay');
  t.same(await job.runOnce(), { pageviews: 0, sessions: 0 }, 'nothing more to do');
});

t.test('ADMIN_PORT moves /metrics, /health and /ready off the public port', async (t) => {
  const h = await buildTestApp(t, { ADMIN_PORT: '39999' });
  for (const path of ['/metrics', '/health', '/ready']) {
    t.equal((await h.app.inject(path)).statusCode, 404, `public ${path}: 404`);
    t.equal((await h.app.admin?.inject(path))?.statusCode, 200, `admin ${path}: 200`);
  }
  t.equal((await h.app.inject({ method: 'POST', url: '/collect', payload: '{"url":"https://example.com/"}', headers: { 'user-agent': CHROME_UA } })).statusCode, 204);

  // Over real sockets: two ports.
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  await h.app.admin?.listen({ port: 0, host: '127.0.0.1' });
  const port = (i: { server: { address(): unknown } }) => (i.server.address() as { port: number }).port;
  const pub = `http://127.0.0.1:${port(h.app)}`;
  const adm = `http://127.0.0.1:${port(h.app.admin as TestApp['app'])}`;
  t.equal((await fetch(`${pub}/health`)).status, 404);
  const health = await fetch(`${adm}/health`);
  t.equal(health.status, 200);
  t.match(await health.json(), { status: 'ok', database: 'up' });
  t.match(await (await fetch(`${adm}/metrics`)).text(), /beacon_accepted_total 1/, 'the admin port reports the public port\'s counters');
  h.app.draining = true;
  t.equal((await fetch(`${adm}/ready`)).status, 503, '/ready on the admin port follows the service');
});
