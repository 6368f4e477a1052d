// With the database away, large valid beacons at full speed: memory stays within the byte budget
// (the rest goes to the spool), and every beacon is stored once the database is back. The longer
// run (60,000 beacons, figures for the README) is `npm run bench:memory`.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { RowDataPacket } from 'mysql2/promise';
import { migrateMysql } from '../../src/sinks/mysql-migrate.js';
import { CHROME_UA, TEST_SECRET } from '../helpers/app.js';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';
import { freePort, startService, until } from '../helpers/process.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { CONTAINER_HEAP, sendLargeBeacons } from '../../bench/large-beacon.js';

// Rows x size (~12 KB of heap each, ~230 MB) several times the default budget, within ~60 s here.
const BEACONS = 20_000;
// CPU-bound (about 35 s on a quiet 2-core machine, two to three times that on a busy one): a timeout
// of its own, well past that, instead of the suite's.
t.setTimeout(360_000);
const SENDERS = 8;
const RSS_LIMIT_MB = 300;

/** Peak RSS so far (NaN once the process is gone: an out-of-memory crash fails the test too). */
function peakMb(pid: number): number {
  const status = (() => {
    try {
      return readFileSync(`/proc/${pid}/status`, 'utf8');
    } catch {
      return '';
    }
  })();
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
}

async function count(db: TestDatabase): Promise<{ rows: number; distinct: number }> {
  const [r] = await db.query<RowDataPacket>('SELECT COUNT(*) AS n, COUNT(DISTINCT beacon_id) AS d FROM pageviews');
  return { rows: Number(r?.n), distinct: Number(r?.d) };
}

t.test(`${BEACONS} large beacons with the database away: peak RSS under ${RSS_LIMIT_MB} MB, all stored after`, async (t) => {
  const db = await freshDatabase(t, 'mysql');
  await migrateMysql(db.url);
  const proxy = await startTcpProxy();
  t.teardown(() => proxy.close());
  const viaProxy = new URL(db.url);
  viaProxy.port = String(proxy.port);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // Defaults for everything that sizes memory; only what a test needs besides.
  const service = startService(t, {
    ...process.env,
    DATABASE_URL: viaProxy.toString(),
    PORT: String(port),
    HOST: '127.0.0.1',
    HASH_SECRET: TEST_SECRET,
    DATA_DIR: mkdtempSync(join(tmpdir(), 'bi-budget-')),
    LOG_LEVEL: 'error',
    NODE_OPTIONS: CONTAINER_HEAP,
  });
  t.ok(await service.ready(base), 'started');
  const pid = service.child.pid as number;
  proxy.cut();

  const started = Date.now();
  const { failed } = await sendLargeBeacons(base, BEACONS, SENDERS, CHROME_UA).done;
  const peak = peakMb(pid);
  t.comment(`sent ${BEACONS} beacons in ${((Date.now() - started) / 1000).toFixed(1)} s; peak RSS ${peak.toFixed(0)} MB`);
  t.equal(failed, 0, 'every request answered 204');
  t.ok(peak < RSS_LIMIT_MB, `peak RSS ${peak.toFixed(0)} MB under ${RSS_LIMIT_MB} MB`);

  proxy.heal();
  const healed = Date.now();
  // Stops waiting early if the service died (out of memory, as it did without the byte budget).
  await until(async () => (await count(db)).rows >= BEACONS || service.child.exitCode !== null, 120_000, 250);
  t.equal(service.child.exitCode, null, 'still running');
  t.comment(`stored in ${((Date.now() - healed) / 1000).toFixed(1)} s after the heal; peak RSS ${peakMb(pid).toFixed(0)} MB`);
  t.same(await count(db), { rows: BEACONS, distinct: BEACONS }, 'each once');
  t.equal(await service.stop('SIGTERM'), 0);
});
