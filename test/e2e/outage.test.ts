// The database goes away (a TCP proxy we cut) while beacons keep coming: nothing accepted is lost.
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import type { RowDataPacket } from 'mysql2/promise';
import { migrateMysql } from '../../src/sinks/mysql-migrate.js';
import { buildTestApp, CHROME_UA, metricValue, TEST_SECRET, type TestApp } from '../helpers/app.js';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';
import { freePort, startService, until } from '../helpers/process.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';

async function stats(db: TestDatabase): Promise<{ rows: number; distinct: number }> {
  const [r] = await db.query<RowDataPacket>('SELECT COUNT(*) AS n, COUNT(DISTINCT beacon_id) AS d FROM pageviews');
  return { rows: Number(r?.n), distinct: Number(r?.d) };
}


const batch = (n: number, from: number) => JSON.stringify(Array.from({ length: n }, (_, i) => ({ url: `https://example.com/${from + i}` })));

async function sendThousand(post: (body: string) => Promise<number>): Promise<void> {
  for (let b = 0; b < 20; b++) {
    const status = await post(batch(50, b * 50));
    if (status !== 204) throw new Error(`status ${status}`);
  }
}

function viaProxy(db: TestDatabase, port: number): string {
  const url = new URL(db.url);
  url.port = String(port);
  return url.toString();
}

async function appThroughProxy(t: Test, env: Record<string, string>) {
  const db = await freshDatabase(t);
  await migrateMysql(db.url);
  const proxy = await startTcpProxy();
  t.teardown(() => proxy.close());
  // Built against the test database, then pointed at the proxy: the pool connects through it.
  const h = await buildTestApp(t, { MIGRATE: 'false', FLUSH_INTERVAL_MS: '100', ...env }, (c) => {
    c.databaseUrl = viaProxy(db, proxy.port);
  }, db);
  return { h, db, proxy };
}

const post = (h: TestApp) => async (body: string) =>
  (await h.app.inject({ method: 'POST', url: '/collect', payload: body, headers: { 'user-agent': CHROME_UA, 'content-type': 'text/plain' } })).statusCode;

t.test('1,000 beacons sent during a cut all land once it heals, none twice', async (t) => {
  const { h, db, proxy } = await appThroughProxy(t, {});
  proxy.cut();
  await sendThousand(post(h));
  const failures = async () => metricValue((await h.app.inject('/metrics')).body, 'beacon_flush_failures_total');
  t.ok(await until(async () => (await failures()) >= 1, 10_000), 'a flush was tried and failed');
  t.equal((await stats(db)).rows, 0, 'nothing written during the cut');
  const health = (await h.app.inject('/health')).json();
  t.match(health, { database: 'down', buffer: { rows: 1000 } });
  const metrics = (await h.app.inject('/metrics')).body;
  t.ok(metricValue(metrics, 'beacon_flush_failures_total') >= 1, 'failures counted');
  proxy.heal();
  t.ok(await until(async () => (await stats(db)).rows === 1000, 30_000), 'all landed after the heal');
  t.same(await stats(db), { rows: 1000, distinct: 1000 });
  const [s] = await db.query<RowDataPacket>('SELECT pageviews FROM sessions');
  t.equal(s?.pageviews, 1000, 'one visitor, one session, counted once');
});

t.test('a cut longer than the buffer fills the spool; everything lands after, in order', async (t) => {
  const { h, db, proxy } = await appThroughProxy(t, { BUFFER_CAPACITY: '100' });
  proxy.cut();
  await sendThousand(post(h));
  t.equal(h.app.writer.size, 100, 'the ring is full');
  t.equal(h.app.writer.spooled, 900, 'the rest is on disk');
  const metrics = (await h.app.inject('/metrics')).body;
  t.equal(metricValue(metrics, 'beacon_spool_rows'), 900);
  t.equal(metricValue(metrics, 'beacon_rejected_total{reason="overflow"}'), 0, 'nothing dropped');
  t.ok(await until(async () => h.app.writer.failing, 10_000), 'flushes fail while the database is away');
  proxy.heal();
  t.ok(await until(async () => (await stats(db)).rows === 1000, 30_000), 'all landed');
  t.same(await stats(db), { rows: 1000, distinct: 1000 });
  const urls = await db.query<RowDataPacket>('SELECT url FROM pageviews ORDER BY id');
  t.same(urls.map((r) => r.url), Array.from({ length: 1000 }, (_, i) => `https://example.com/${i}`), 'in the order they were accepted');
  t.ok(await until(async () => h.app.writer.spooled === 0, 5000), 'spool emptied');
  // A replayed segment is deleted right after its rows are written (an rm that may still be running).
  const segments = () => readdirSync(h.config.spoolDir).filter((f) => f.endsWith('.ndjson'));
  await until(async () => segments().length === 0, 5000);
  t.same(segments(), [], 'spool files deleted');
});

t.test('SIGTERM during a cut leaves a spool that the next start replays: none lost, none duplicated', async (t) => {
  const db = await freshDatabase(t);
  await migrateMysql(db.url);
  const proxy = await startTcpProxy();
  t.teardown(() => proxy.close());
  const dataDir = mkdtempSync(join(tmpdir(), 'bi-outage-'));
  const port = await freePort();
  const start = (databaseUrl: string) =>
    startService(t, { ...process.env, DATABASE_URL: databaseUrl, PORT: String(port), HOST: '127.0.0.1', HASH_SECRET: TEST_SECRET, DATA_DIR: dataDir, SHUTDOWN_TIMEOUT_MS: '1000', FLUSH_INTERVAL_MS: '200' });
  const base = `http://127.0.0.1:${port}`;

  const first = start(viaProxy(db, proxy.port));
  t.ok(await first.ready(base), 'started through the proxy');
  proxy.cut();
  await sendThousand(async (body) => (await fetch(`${base}/collect`, { method: 'POST', body, headers: { 'user-agent': CHROME_UA } })).status);
  t.equal(await first.stop('SIGTERM'), 0, 'exit 0 with the database away');
  t.match(first.output(), /the rest is in the spool/);
  t.equal((await stats(db)).rows, 0);
  t.ok(readdirSync(join(dataDir, 'spool')).some((f) => f.endsWith('.ndjson')), 'a spool was left');

  proxy.heal();
  const second = start(db.url);
  t.ok(await second.ready(base), 'restarted');
  t.ok(await until(async () => (await stats(db)).rows === 1000, 30_000), 'the spool was replayed');
  t.same(await stats(db), { rows: 1000, distinct: 1000 });
  t.match(second.output(), /spool from an earlier run found/);
  // The visitor comes back: its session continues from the spooled figures, not the table's older ones.
  await fetch(`${base}/collect`, { method: 'POST', body: JSON.stringify({ url: 'https://example.com/back' }), headers: { 'user-agent': CHROME_UA } });
  t.ok(await until(async () => (await stats(db)).rows === 1001, 10_000));
  const sessions = await db.query<RowDataPacket>('SELECT pageviews, exit_url FROM sessions');
  t.same(sessions.map((s) => [s.pageviews, s.exit_url]), [[1001, 'https://example.com/back']], 'one session, every pageview counted');
  await second.stop('SIGTERM');
  t.same(readdirSync(join(dataDir, 'spool')).filter((f) => f.endsWith('.ndjson')), [], 'spool deleted once written');
});
