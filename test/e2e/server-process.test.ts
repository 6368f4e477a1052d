// The real process (`node dist/server.js`, as users start it) over the test's store: draining on
// SIGTERM, migrating, reloading GeoIP on SIGHUP. Starting with bad or no configuration, which does
// not depend on the store: server-start.test.ts.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { RowDataPacket } from 'mysql2/promise';
import { buildTestApp, CHROME_UA, TEST_SECRET } from '../helpers/app.js';
import { freshDatabase } from '../helpers/db.js';
import { countPageviews as count, listen } from '../helpers/listen.js';
import { buildMmdb } from '../helpers/mmdb-writer.js';
import { freePort, runScript, startService, until } from '../helpers/process.js';

t.test('SIGTERM with 5,000 buffered rows: the real process keeps taking beacons during SHUTDOWN_DELAY_MS, then loses none', async (t) => {
  const db = await freshDatabase(t);
  const port = await freePort();
  const service = startService(t, {
    ...process.env,
    DATABASE_URL: db.url,
    PORT: String(port),
    HOST: '127.0.0.1',
    HASH_SECRET: TEST_SECRET,
    FLUSH_INTERVAL_MS: '600000',
    FLUSH_MAX_ROWS: '100000',
    SHUTDOWN_DELAY_MS: '3000',
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
  const ready = async () => (await fetch(`${base}/ready`).catch(() => null))?.status;
  t.ok(await until(async () => (await ready()) !== 200, 2000), 'the signal is taken'); // well inside the 3 s delay, on a busy machine too
  t.equal(await ready(), 503, '/ready is 503 while draining');
  const late = await fetch(`${base}/collect`, { method: 'POST', body: JSON.stringify({ url: 'https://example.com/late' }), headers: { 'user-agent': CHROME_UA } });
  t.equal(late.status, 204, 'a beacon during the delay is still taken');

  t.equal(await exited, 0, 'exit 0');
  t.equal(await count(db), 5001, 'every buffered row written');
  t.match(service.output(), /buffer drained/);
});

t.test('npm run migrate (the real script) migrates and reports the version', async (t) => {
  const db = await freshDatabase(t);
  const run = () => runScript('dist/migrate.js', { ...process.env, DATABASE_URL: db.url });
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
  const port = await freePort();
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
