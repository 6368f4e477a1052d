// A spool segment that cannot be read must not stall the writer, and with it every row behind
// it, for ever: a deleted one is dropped (its rows reported lost), one that fails otherwise is
// retried, each failure reported naming it. A prepend never writes a segment past segmentBytes,
// so none grows toward V8's largest string when read back whole.
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { RowDataPacket } from 'mysql2/promise';
import { BatchWriter, type WriterEvents } from '../../src/buffer/batch-writer.js';
import { Spool } from '../../src/buffer/spool.js';
import { migrateMysql } from '../../src/sinks/mysql-migrate.js';
import type { Batch, Sink } from '../../src/sinks/sink.js';
import { buildTestApp } from '../helpers/app.js';
import { freshDatabase } from '../helpers/db.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { injectFaults } from './file-faults.js';
import { numbers, spoolRow } from './spool-row.js';

const dir = () => mkdtempSync(join(tmpdir(), 'bi-spool-unreadable-'));
const rows = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => spoolRow(from + i));
const segments = (d: string) => readdirSync(d).filter((n) => n.endsWith('.ndjson')).sort();

function recordingSink(): Sink & { written: number[] } {
  const written: number[] = [];
  return {
    description: 'recording', written,
    async writeBatch({ rows }: Batch) {
      written.push(...numbers(rows));
    },
    getOrCreateSalt: async (_day: string, candidate: Buffer) => candidate,
    deleteSaltsBefore: async () => 0, loadActiveSessions: async () => [], deleteOlderThan: async () => 0, ping: async () => {}, close: async () => {},
  };
}

/** A spool holding rows 0-2 and 3-5 in two segments; `lost` records what onSegmentLost reports. */
async function twoSegments() {
  const d = dir();
  const lost: [string | undefined, string, number][] = [];
  const options = { dir: d, maxBytes: 1e9, segmentBytes: 1, onSegmentLost: (err: unknown, name: string, n: number) => void lost.push([(err as NodeJS.ErrnoException).code, name, n]) };
  const spool = await Spool.open(options);
  await spool.append(rows(0, 3)).durable;
  await spool.append(rows(3, 6)).durable;
  const [first, second] = segments(d) as [string, string];
  return { d, spool, lost, first, second };
}

function writerOver(spool: Spool, sink = recordingSink()) {
  const failed: unknown[] = [];
  const events: WriterEvents = { flushed: () => {}, flushFailed: (err) => void failed.push(err), deadLettered: () => {}, spoolDamaged: () => {} };
  const writer = new BatchWriter({ sink, capacity: 16, flushMaxRows: 16, flushIntervalMs: 60_000, spool, deadLetters: null, events, retryBaseMs: 5, retryMaxMs: 10 });
  return { writer, sink, failed };
}

t.test('a segment deleted by hand: dropped, its rows reported lost, the segments behind it go on', async (t) => {
  const { d, spool, lost, first, second } = await twoSegments();
  rmSync(join(d, first));
  const oldest = await spool.oldest();
  t.same([oldest?.name, numbers(oldest?.rows ?? [])], [second, [3, 4, 5]]);
  t.same(lost, [['ENOENT', first, 3]], 'reported once, with the segment and its row count');
  t.equal(spool.rows, 3, 'no longer counted');
});

t.test('the writer over a spool whose oldest segment was deleted: writes the rest, nothing fails', async (t) => {
  const { d, spool, first } = await twoSegments();
  rmSync(join(d, first));
  const { writer, sink, failed } = writerOver(spool);
  await writer.drain(2000);
  t.same(sink.written, [3, 4, 5]);
  t.same(failed, [], 'no failed flush');
  t.equal(writer.spooled, 0);
});

t.test('a segment that cannot be read otherwise: kept and retried, each failure reported naming it', async (t) => {
  const { d, spool, first } = await twoSegments();
  // A directory where the file was: reading it fails with EISDIR, whose message names no path.
  renameSync(join(d, first), join(d, 'aside'));
  mkdirSync(join(d, first));
  const { writer, sink, failed } = writerOver(spool);
  for (let i = 0; i < 3; i++) t.equal(await writer.flush(), false, `attempt ${i + 1} fails`);
  t.equal(failed.length, 3, 'one report per failure');
  for (const err of failed) t.match(err, { code: 'EISDIR', segment: first, message: new RegExp(first) });
  t.equal(writer.spooled, 6, 'its rows are kept');
  rmdirSync(join(d, first));
  renameSync(join(d, 'aside'), join(d, first));
  await writer.drain(2000);
  t.same(sink.written, [0, 1, 2, 3, 4, 5], 'once it can be read, everything is written in order');
});

t.test('prepend splits what it writes into segments of at most segmentBytes, in order, before the rest', async (t) => {
  const d = dir();
  const spool = await Spool.open({ dir: d, maxBytes: 1e9, segmentBytes: 2000 });
  await spool.append(rows(99, 100)).durable;
  await spool.prepend(rows(0, 20));
  const files = segments(d);
  t.ok(files.length >= 5, `${files.length} segments`);
  for (const name of files) t.ok(statSync(join(d, name)).size <= 2000, `${name}: ${statSync(join(d, name)).size} bytes`);
  t.equal(spool.rows, 21);
  await spool.close();
  const again = await Spool.open({ dir: d, maxBytes: 1e9 });
  const order: number[] = [];
  for (let s = await again.oldest(); s !== null; s = await again.oldest()) {
    order.push(...numbers(s.rows));
    await again.remove(s.name);
  }
  t.same(order, [...Array.from({ length: 20 }, (_, i) => i), 99], 'in order, after a restart too');
  const big = await Spool.open({ dir: dir(), maxBytes: 1e9, segmentBytes: 10 });
  await big.prepend(rows(0, 2));
  t.equal(big.rows, 2, 'a row larger than segmentBytes gets a segment of its own');
});

t.test('a prepend that fails part-way leaves none of its segments', async (t) => {
  const d = dir();
  const faults = await injectFaults(t, d);
  const spool = await Spool.open({ dir: d, maxBytes: 1e9, segmentBytes: 2000 });
  await spool.append(rows(99, 100)).durable;
  const before = segments(d);
  faults.writes.push(null, null, 'error');
  await t.rejects(spool.prepend(rows(0, 20)), { code: 'ENOSPC' });
  t.same(segments(d), before, 'the segments written before the failure are removed');
  t.equal(spool.rows, 1);
  await spool.prepend(rows(0, 2));
  t.equal(spool.rows, 3, 'the next prepend works');
});

t.test('the writer plugin logs a deleted segment at error level with its rows', async (t) => {
  const db = await freshDatabase(t);
  await migrateMysql(db.url);
  const proxy = await startTcpProxy();
  t.teardown(() => proxy.close());
  const h = await buildTestApp(t, { MIGRATE: 'false', BUFFER_CAPACITY: '1', FLUSH_MAX_ROWS: '1' }, (c) => {
    const url = new URL(db.url);
    url.port = String(proxy.port);
    c.databaseUrl = url.toString();
  }, db);
  proxy.cut();
  // The database away: the ring holds row 1, rows 2 and 3 go to the spool and wait there.
  t.ok(h.app.writer.push(spoolRow(1)));
  t.ok(h.app.writer.push(spoolRow(2)));
  t.ok(h.app.writer.push(spoolRow(3)));
  t.equal(await h.app.writer.waitDurable(), true);
  const [segment] = segments(h.config.spoolDir);
  rmSync(join(h.config.spoolDir, segment as string));
  proxy.heal();
  await h.flush();
  t.match(h.logs.filter((l) => l.level === 50 && /spool segment/.test(l.msg)), [{ segment, rows: 2, err: { code: 'ENOENT' } }]);
  const stored = await db.query<RowDataPacket>('SELECT url FROM pageviews');
  t.same(stored.map((r) => r.url), ['https://a.example/1']);
  t.equal(h.app.writer.spooled, 0);
});
