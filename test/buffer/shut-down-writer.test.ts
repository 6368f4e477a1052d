// The writer's last act, called directly over a sink that answers or not: drain, spill, close.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { BatchWriter } from '../../src/buffer/batch-writer.js';
import { shutDownWriter } from '../../src/buffer/shut-down-writer.js';
import { Spool } from '../../src/buffer/spool.js';
import { SinkUnavailableError, type Batch } from '../../src/sinks/sink.js';
import { WritesOnlySink } from '../helpers/writes-only-sink.js';
import { numbers, spoolRow } from './spool-row.js';

class Database extends WritesOnlySink {
  up = true;
  written: number[] = [];
  async writeBatch({ rows }: Batch): Promise<void> {
    if (!this.up) throw new SinkUnavailableError('away');
    this.written.push(...numbers(rows));
  }
}

const noEvents = { flushed: () => {}, flushFailed: () => {}, deadLettered: () => {}, spoolDamaged: () => {} };

async function setup(wal = false) {
  const dir = mkdtempSync(join(tmpdir(), 'bi-shutdown-'));
  const spool = await Spool.open({ dir, maxBytes: 1e9 });
  const walSpool = wal ? await Spool.open({ dir: join(dir, 'wal'), maxBytes: Number.MAX_SAFE_INTEGER }) : null;
  const db = new Database();
  const writer = new BatchWriter({ sink: db, capacity: 16, flushMaxRows: 1000, flushIntervalMs: 60_000, spool, deadLetters: null, wal: walSpool, events: noEvents, retryBaseMs: 10, retryMaxMs: 20 });
  return { dir, spool, wal: walSpool, db, writer };
}

async function rowsIn(dir: string): Promise<number[]> {
  const spool = await Spool.open({ dir, maxBytes: 1e9 });
  const seen: number[] = [];
  for await (const row of spool.readAll()) seen.push(...numbers([row]));
  await spool.close();
  return seen;
}

t.test('the database answers: everything written, nothing spooled', async (t) => {
  const { spool, wal, db, writer } = await setup(true);
  for (let n = 1; n <= 5; n++) writer.push(spoolRow(n));
  const end = await shutDownWriter(writer, { spool, wal, timeoutMs: 1000 });
  t.same(end, { buffered: 5, written: 5, spilled: 0, spooled: 0, lost: 0, spoolError: null });
  t.same(db.written, [1, 2, 3, 4, 5]);
});

t.test('nothing buffered: nothing to say', async (t) => {
  const { spool, wal, writer } = await setup();
  t.same(await shutDownWriter(writer, { spool, wal, timeoutMs: 1000 }), { buffered: 0, written: 0, spilled: 0, spooled: 0, lost: 0, spoolError: null });
});

t.test('the database away: memory goes to the head of the spool, for the next start, in order', async (t) => {
  const { dir, spool, wal, db, writer } = await setup(true);
  // 20 rows in a ring of 16: the last 4 overflow to the spool, and later the ring goes before them.
  db.up = false;
  for (let n = 1; n <= 20; n++) writer.push(spoolRow(n));
  const started = Date.now();
  const end = await shutDownWriter(writer, { spool, wal, timeoutMs: 200 });
  t.ok(Date.now() - started < 2000, 'the drain gives up at its timeout');
  t.same(end, { buffered: 20, written: 0, spilled: 16, spooled: 20, lost: 0, spoolError: null });
  t.same(await rowsIn(dir), Array.from({ length: 20 }, (_, i) => i + 1), 'all 20 on disk, oldest first');
  t.same(await rowsIn(join(dir, 'wal')), [], 'the WAL holds nothing the spool does not');
});

t.test('a spool that cannot be written: the error and the rows lost are in the result, nothing thrown', async (t) => {
  const { spool, wal, db, writer } = await setup();
  db.up = false;
  for (let n = 1; n <= 3; n++) writer.push(spoolRow(n));
  const failure = new Error('EIO');
  spool.prepend = async () => {
    throw failure;
  };
  const end = await shutDownWriter(writer, { spool, wal, timeoutMs: 50 });
  t.same(end, { buffered: 3, written: 0, spilled: 0, spooled: 0, lost: 3, spoolError: failure });
});
