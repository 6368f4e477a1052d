// WORKERS=2: one port served by two worker processes; the primary migrates, replays spools,
// sums the workers' metrics and drains them all on SIGTERM.
import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import type { RowDataPacket } from 'mysql2/promise';
import { CHROME_UA, metricValue, TEST_SECRET } from '../helpers/app.js';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';
import { freePort, runScript, startService, until } from '../helpers/process.js';
import { PROMTOOL_MISSING, promtool } from '../helpers/promtool.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';

function env(db: TestDatabase, port: number, dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    DATABASE_URL: db.url,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    HASH_SECRET: TEST_SECRET,
    ALLOWED_ORIGINS: '*',
    FLUSH_INTERVAL_MS: '60000',
    FLUSH_MAX_ROWS: '100000',
    BUFFER_CAPACITY: '100000',
    SHUTDOWN_TIMEOUT_MS: '5000',
    ...extra,
  };
}

/** A fresh database, a data directory, and a TCP proxy to the database that the test can cut. */
async function databaseBehindProxy(t: Test) {
  const db = await freshDatabase(t);
  const proxy = await startTcpProxy();
  t.teardown(() => proxy.close());
  const via = new URL(db.url);
  via.port = String(proxy.port);
  return { db, dataDir: mkdtempSync(join(tmpdir(), 'bi-cluster-')), proxy, via };
}

const count = async (db: TestDatabase) => Number((await db.query<RowDataPacket>('SELECT COUNT(*) AS n FROM pageviews'))[0]?.n);

/** One POST on a connection of its own (no keep-alive pool), so the primary hands each to a worker in turn. */
function postBatch(base: string, from: number, n: number): Promise<{ status: number }> {
  const body = JSON.stringify(Array.from({ length: n }, (_, i) => ({ url: `https://example.com/p/${from + i}` })));
  return new Promise((resolve, reject) => {
    const req = request(`${base}/collect`, { method: 'POST', agent: false, headers: { 'content-type': 'text/plain', 'user-agent': CHROME_UA } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface LogLine {
  msg?: string;
  written?: number;
  pid?: number;
}
const logLines = (output: string): LogLine[] =>
  output.split('\n').flatMap((l) => {
    try {
      return [JSON.parse(l) as LogLine];
    } catch {
      return [];
    }
  });

t.test('WORKERS=2 refuses the embedded SQLite store at start, naming the variable', async (t) => {
  const { code, out } = await runScript('dist/server.js', {
    PATH: process.env.PATH,
    DATA_DIR: mkdtempSync(join(tmpdir(), 'bi-cluster-')),
    WORKERS: '2',
    ALLOWED_ORIGINS: '*',
  });
  t.equal(code, 1);
  t.match(out, /WORKERS \(2\) needs MySQL/);
});

t.test('WORKERS=2 serves one port from two processes, sums their metrics, and drains both on SIGTERM', async (t) => {
  const db = await freshDatabase(t);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const service = startService(t, env(db, port, mkdtempSync(join(tmpdir(), 'bi-cluster-')), { WORKERS: '2' }));
  t.ok(await service.ready(base, 30_000), 'ready');
  // /ready answers as soon as one worker listens: wait for the second before sending.
  t.ok(await until(async () => logLines(service.output()).filter((l) => l.msg === 'worker listening').length === 2, 30_000, 50), 'two workers listening');
  t.match(service.output(), /without REDIS_URL/, 'warns that sessions are per process');

  // Several connections at once: the primary hands them to the workers in turn.
  const sends: Promise<{ status: number }>[] = [];
  for (let i = 0; i < 40; i++) sends.push(postBatch(base, i * 25, 25));
  const answers = await Promise.all(sends);
  t.ok(answers.every((r) => r.status === 204), '204 each');

  const metrics = await (await fetch(`${base}/metrics`)).text();
  t.equal(metricValue(metrics, 'beacon_received_total'), 1000, 'one scrape counts every worker');
  t.equal(metricValue(metrics, 'beacon_buffer_rows'), 1000, 'gauges are summed too');
  const check = promtool(['check', 'metrics'], metrics);
  if (check === null) t.fail(PROMTOOL_MISSING);
  else t.same(check, { status: 0, output: '' }, 'the summed text passes promtool check metrics');
  t.equal(await count(db), 0, 'still buffered (60 s flush interval)');

  t.equal(await service.stop('SIGTERM'), 0, 'the primary exits 0 once every worker drained');
  t.equal(await count(db), 1000, 'every answered beacon stored');
  const drained = logLines(service.output()).filter((l) => l.msg === 'shutdown: buffer drained');
  if (drained.length !== 2) t.comment(service.output());
  t.equal(drained.length, 2, 'both workers drained');
  t.ok(drained.every((l) => (l.written ?? 0) > 0), 'both workers had taken beacons');
  t.equal(drained.reduce((sum, l) => sum + (l.written ?? 0), 0), 1000);
});

t.test('the primary replays a spool left by an earlier run before the workers start', async (t) => {
  const { db, dataDir, proxy, via } = await databaseBehindProxy(t);

  // A single process whose database goes away: its rows end in the spool at shutdown.
  const port = await freePort();
  const first = startService(t, env(db, port, dataDir, { DATABASE_URL: via.toString(), SHUTDOWN_TIMEOUT_MS: '500' }));
  t.ok(await first.ready(`http://127.0.0.1:${port}`, 30_000));
  proxy.cut();
  t.equal((await postBatch(`http://127.0.0.1:${port}`, 0, 50)).status, 204);
  t.equal(await first.stop('SIGTERM'), 0);
  t.match(first.output(), /the rest is in the spool/);
  t.equal(await count(db), 0);

  // Two workers now, on the healed database: the primary writes the spool before forking.
  proxy.heal();
  const port2 = await freePort();
  const second = startService(t, env(db, port2, dataDir, { WORKERS: '2' }));
  t.ok(await until(async () => (await count(db)) === 50, 30_000, 100), 'the 50 spooled rows are written');
  t.ok(await second.ready(`http://127.0.0.1:${port2}`, 30_000));
  const lines = logLines(second.output());
  const replayed = lines.findIndex((l) => l.msg === 'replaying a spool before forking the workers');
  const forked = lines.findIndex((l) => l.msg === 'primary started its workers');
  t.ok(replayed >= 0 && forked > replayed, 'replayed, then forked');
  t.equal(await second.stop('SIGTERM'), 0);
  t.equal(await count(db), 50, 'nothing twice');
});

t.test("WORKERS going back to 1: the single process takes over the workers' spools", async (t) => {
  const { db, dataDir, proxy, via } = await databaseBehindProxy(t);

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const clustered = startService(t, env(db, port, dataDir, { DATABASE_URL: via.toString(), WORKERS: '2', SHUTDOWN_TIMEOUT_MS: '500' }));
  t.ok(await clustered.ready(base, 30_000));
  t.ok(await until(async () => logLines(clustered.output()).filter((l) => l.msg === 'worker listening').length === 2, 30_000, 50));
  proxy.cut();
  const sends: Promise<{ status: number }>[] = [];
  for (let i = 0; i < 20; i++) sends.push(postBatch(base, i * 10, 10));
  t.ok((await Promise.all(sends)).every((r) => r.status === 204));
  t.equal(await clustered.stop('SIGTERM'), 0);
  t.equal(await count(db), 0, 'the database was away: all 200 in the workers’ spools');

  proxy.heal();
  const port2 = await freePort();
  const single = startService(t, env(db, port2, dataDir));
  t.ok(await single.ready(`http://127.0.0.1:${port2}`, 30_000));
  t.ok(await until(async () => (await count(db)) === 200, 30_000, 100), 'all 200 written by the single process');
  t.match(single.output(), /a worker's spool from an earlier run was taken over/);
  t.equal(await single.stop('SIGTERM'), 0);
  t.equal(await count(db), 200);
});

t.test('the primary killed (-9): each worker drains its buffer before exiting', async (t) => {
  const db = await freshDatabase(t);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const service = startService(t, env(db, port, mkdtempSync(join(tmpdir(), 'bi-cluster-')), { WORKERS: '2' }));
  t.ok(await service.ready(base, 30_000));
  t.ok(await until(async () => logLines(service.output()).filter((l) => l.msg === 'worker listening').length === 2, 30_000, 50));
  const pids = logLines(service.output()).filter((l) => l.msg === 'worker listening').map((l) => (l as { workerPid: number }).workerPid);
  const sends: Promise<{ status: number }>[] = [];
  for (let i = 0; i < 20; i++) sends.push(postBatch(base, i * 10, 10));
  t.ok((await Promise.all(sends)).every((r) => r.status === 204));
  t.equal(await count(db), 0, 'buffered (60 s flush interval)');
  service.child.kill('SIGKILL');
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  t.ok(await until(async () => !pids.some(alive), 20_000, 50), 'the workers exited');
  t.equal(await count(db), 200, 'every answered beacon stored');
});

t.test("a worker that dies and restarts: the cluster's counters do not go backwards", async (t) => {
  const db = await freshDatabase(t);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // Short flush interval: the rows are written before the worker is killed.
  const service = startService(t, env(db, port, mkdtempSync(join(tmpdir(), 'bi-cluster-')), { WORKERS: '2', FLUSH_INTERVAL_MS: '100' }));
  t.ok(await service.ready(base, 30_000));
  const listening = () => logLines(service.output()).filter((l) => l.msg === 'worker listening');
  t.ok(await until(async () => listening().length === 2, 30_000, 50));
  const sends: Promise<{ status: number }>[] = [];
  for (let i = 0; i < 20; i++) sends.push(postBatch(base, i * 10, 10));
  t.ok((await Promise.all(sends)).every((r) => r.status === 204));
  t.ok(await until(async () => (await count(db)) === 200, 10_000, 50), 'written');
  const scrape = async () => metricValue(await (await fetch(`${base}/metrics`)).text(), 'beacon_accepted_total');
  t.equal(await scrape(), 200);

  process.kill((listening()[0] as { workerPid: number }).workerPid, 'SIGKILL');
  t.ok(await until(async () => listening().length === 3, 30_000, 50), 'restarted');
  t.equal(await scrape(), 200, 'what the dead worker counted is still in the sum');
  for (let i = 0; i < 2; i++) t.equal((await postBatch(base, 1000 + i * 10, 10)).status, 204);
  t.equal(await scrape(), 220, 'and the new worker adds to it');
  t.equal(await service.stop('SIGTERM'), 0);
});
