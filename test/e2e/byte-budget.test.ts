// With the database away, large valid beacons at full speed: memory stays within the byte budget
// (the rest goes to the spool), and every beacon is stored once the database is back. The longer
// run with the defaults (60,000 beacons in a 256 MB old space, figures for docs/operations.md) is
// `npm run bench:memory`.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { RowDataPacket } from 'mysql2/promise';
import { migrateMysql } from '../../src/sinks/mysql-migrate.js';
import { CHROME_UA, TEST_SECRET } from '../helpers/fixtures.js';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';
import { freePort, startService, until } from '../helpers/process.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { sendLargeBeacons } from '../../bench/large-beacon.js';

// The defaults scaled down, so that the suite pays ~20 s of CPU for it instead of ~30-40: a 16 MiB
// budget in a 96 MB old space, and 8,000 beacons (~12 KB of heap each, ~90 MB: several times the
// budget, and more than the old space holds). Without the budget the service runs out of memory and
// dies (checked with BUFFER_MAX_BYTES=1 GiB: every assertion below but the first fails).
const BEACONS = 8_000;
const BUDGET = 16 * 1024 ** 2;
const HEAP = '--max-old-space-size=96 --max-semi-space-size=16';
// A timeout of its own, well past its ~10-15 s (CPU-bound; two to three times that on a busy machine).
t.setTimeout(360_000);
const SENDERS = 8;
// ~200 MB measured here with the budget (most of it V8's young generation and garbage not yet collected).
const RSS_LIMIT_MB = 260;

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
  // Defaults for everything else that sizes memory.
  const service = startService(t, {
    ...process.env,
    DATABASE_URL: viaProxy.toString(),
    PORT: String(port),
    HOST: '127.0.0.1',
    HASH_SECRET: TEST_SECRET,
    DATA_DIR: mkdtempSync(join(tmpdir(), 'bi-budget-')),
    LOG_LEVEL: 'error',
    BUFFER_MAX_BYTES: String(BUDGET),
    NODE_OPTIONS: HEAP,
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
  // Stops waiting early if the service died: out of memory, V8 aborts (a signal, no exit code).
  const exited = () => service.child.exitCode !== null || service.child.signalCode !== null;
  await until(async () => (await count(db)).rows >= BEACONS || exited(), 120_000, 250);
  t.notOk(exited(), 'still running');
  t.comment(`stored in ${((Date.now() - healed) / 1000).toFixed(1)} s after the heal; peak RSS ${peakMb(pid).toFixed(0)} MB`);
  t.same(await count(db), { rows: BEACONS, distinct: BEACONS }, 'each once');
  t.equal(await service.stop('SIGTERM'), 0);
});
