// WORKERS=2 and crashes: the primary killed with -9 (each worker drains), a worker killed and
// restarted (the cluster's counters do not go backwards).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { metricValue } from '../helpers/fixtures.js';
import { count, env, logLines, postBatch } from '../helpers/cluster.js';
import { freshDatabase } from '../helpers/db.js';
import { freePort, startService, until } from '../helpers/process.js';

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
