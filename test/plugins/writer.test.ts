// The writer plugin on a bare instance over a real MariaDB database: the writer built from config,
// its start, what it finds on disk, and the final drain before the sink closes.
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { encodeRow } from '../../src/buffer/row-codec.js';
import metricsPlugin from '../../src/plugins/metrics.js';
import queryStripPlugin from '../../src/plugins/query-strip.js';
import sinkPlugin from '../../src/plugins/sink.js';
import writerEventsPlugin from '../../src/plugins/writer-events.js';
import writerPlugin from '../../src/plugins/writer.js';
import { metricValue, testConfig } from '../helpers/app.js';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';
import { until } from '../helpers/process.js';
import { row } from '../helpers/rows.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { bareApp, UNREACHABLE_DATABASE } from './bare-app.js';

const deps = [metricsPlugin, queryStripPlugin, writerEventsPlugin, sinkPlugin, writerPlugin];
// Rows stored; 0 while the table is not there yet (a store migrated once it answers).
const stored = async (db: TestDatabase) => ((await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM pageviews').catch(() => []))[0]?.n ?? 0);

t.test('decorates the writer, built from config; the buffer and spool gauges follow it', async (t) => {
  const db = await freshDatabase(t, 'mysql');
  const { app } = await bareApp(t, testConfig(db.url, { BUFFER_CAPACITY: '128' }), deps);
  t.equal(app.writer.capacity, 128);
  for (let n = 1; n <= 3; n++) app.writer.push(row(n));
  const text = await app.metrics.registry.metrics();
  t.equal(metricValue(text, 'beacon_buffer_rows'), 3);
  t.equal(metricValue(text, 'beacon_spool_rows'), 0);
});

t.test('onReady starts the writer: rows are written by the interval, not only on demand', async (t) => {
  const db = await freshDatabase(t, 'mysql');
  const { app } = await bareApp(t, testConfig(db.url, { FLUSH_INTERVAL_MS: '50' }), deps);
  await app.ready();
  app.writer.push(row(1));
  t.ok(await until(async () => (await stored(db)) === 1, 5000));
});

t.test('onClose: the final drain writes through the sink before the sink closes', async (t) => {
  const db = await freshDatabase(t, 'mysql');
  const { app, logs } = await bareApp(t, testConfig(db.url), deps);
  await app.ready();
  const order: string[] = [];
  const { sink } = app;
  const [writeBatch, close] = [sink.writeBatch.bind(sink), sink.close.bind(sink)];
  sink.writeBatch = async (batch) => {
    await writeBatch(batch);
    order.push('written');
  };
  sink.close = async () => {
    order.push('sink closed');
    await close();
  };
  for (let n = 1; n <= 5; n++) app.writer.push(row(n));
  await app.close();
  t.same(order, ['written', 'sink closed']);
  t.equal(await stored(db), 5);
  t.match(logs.at(-1), { level: 30, written: 5, msg: 'shutdown: buffer drained' });
});

t.test('the database away at close: the rest goes to the spool, and the next start replays it first', async (t) => {
  const spoolDir = mkdtempSync(join(tmpdir(), 'bi-writer-plugin-'));
  const away = await bareApp(t, testConfig(UNREACHABLE_DATABASE, { SPOOL_DIR: spoolDir, SHUTDOWN_TIMEOUT_MS: '100' }), deps);
  await away.app.ready();
  for (let n = 1; n <= 4; n++) away.app.writer.push(row(n));
  await away.app.close();
  t.match(away.logs.at(-1), { level: 40, written: 0, spooled: 4, dir: spoolDir, msg: /the rest is in the spool and is written at the next start/ });
  t.ok(readdirSync(spoolDir).some((f) => f.endsWith('.ndjson')), 'a segment is on disk');

  const db = await freshDatabase(t, 'mysql');
  const back = await bareApp(t, testConfig(db.url, { SPOOL_DIR: spoolDir }), deps);
  t.match(back.logs, [{ msg: 'migrations applied' }, { msg: /^store ready/ }, { level: 30, rows: 4, dir: spoolDir, msg: 'spool from an earlier run found; replaying it first' }]);
  t.equal(back.app.writer.spooled, 4);
  await back.app.ready();
  t.ok(await until(async () => (await stored(db)) === 4, 5000), 'replayed once started');
});

t.test("a write-ahead log left by a crash: its rows are replayed, and it says so", async (t) => {
  const spoolDir = mkdtempSync(join(tmpdir(), 'bi-writer-plugin-'));
  mkdirSync(join(spoolDir, 'wal'));
  writeFileSync(join(spoolDir, 'wal', '500000000000.ndjson'), [1, 2].map((n) => encodeRow(row(n))).join('\n') + '\n');
  const db = await freshDatabase(t, 'mysql');
  const { app, logs } = await bareApp(t, testConfig(db.url, { SPOOL_DIR: spoolDir }), deps);
  t.match(logs.find((l) => l.level === 40), { rows: 2, msg: /^write-ahead log from an unclean stop found/ });
  await app.ready();
  t.ok(await until(async () => (await stored(db)) === 2, 5000));
});

t.test('started without the database: what waited is written as soon as it answers, not at the next interval', async (t) => {
  const db = await freshDatabase(t, 'mysql');
  const proxy = await startTcpProxy();
  t.teardown(() => proxy.close());
  proxy.cut();
  const url = new URL(db.url);
  url.port = String(proxy.port);
  // The interval is a minute (testConfig): only the store's "reached" can trigger this flush.
  const { app } = await bareApp(t, testConfig(url.toString()), deps);
  await app.ready();
  t.equal(app.store.reached, false);
  app.writer.push(row(1));
  proxy.heal();
  t.ok(await until(async () => (await stored(db)) === 1, 10_000));
});
