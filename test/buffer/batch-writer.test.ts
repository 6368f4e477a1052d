// Writer policy (triggers, retries, ordering) against a recording sink; writing to the real
// database is covered in test/e2e and test/sinks.
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { BatchWriter } from '../../src/buffer/batch-writer.js';
import { until } from '../helpers/process.js';
import { SinkRejectedError, SinkUnavailableError, type Batch, type PageviewRow, type Sink } from '../../src/sinks/sink.js';
import { WritesOnlySink } from '../helpers/writes-only-sink.js';

function row(n: number, approxBytes = 300): PageviewRow {
  return {
    beaconId: Buffer.alloc(16, n), url: `https://a.example/${n}`, hostname: 'a.example', type: 'pageview', eventName: null,
    userAgent: null, browser: null, os: null, device: null, isBot: false, viewportWidth: null, viewportHeight: null, referrer: null, clientTimestamp: null,
    serverTimestamp: new Date(), clientIp: null, sessionId: null, payload: null, userHash: '0'.repeat(16), geoCountry: null, session: null, approxBytes,
  };
}

class RecordingSink extends WritesOnlySink {
  override readonly description = 'recording';
  batches: number[][] = [];
  failNext = 0;
  delayMs = 0;
  async writeBatch({ rows }: Batch): Promise<void> {
    if (this.delayMs) await sleep(this.delayMs);
    if (this.failNext > 0) {
      this.failNext--;
      throw new SinkUnavailableError('down');
    }
    this.batches.push(rows.map((r) => Number(r.url.split('/').pop())));
  }
}

function writer(sink: Sink, opts: Partial<ConstructorParameters<typeof BatchWriter>[0]> = {}) {
  const events = { flushed: [] as number[], failed: 0 };
  const w = new BatchWriter({
    sink,
    capacity: 1000,
    flushMaxRows: 10,
    flushIntervalMs: 60_000,
    spool: null,
    deadLetters: null,
    retryBaseMs: 20,
    retryMaxMs: 100,
    events: { flushed: (n) => events.flushed.push(n), flushFailed: () => events.failed++, deadLettered: () => {}, spoolDamaged: () => {} },
    ...opts,
  });
  return { w, events };
}

t.test('size trigger: flushes when flushMaxRows rows wait', async (t) => {
  const sink = new RecordingSink();
  const { w, events } = writer(sink);
  for (let i = 0; i < 9; i++) w.push(row(i));
  // "No flush for a while" has no event to wait for; a flush started by push would be done by now.
  await sleep(10);
  t.same(sink.batches, []);
  w.push(row(9));
  t.ok(await until(async () => events.flushed.length === 1, 2000), 'flushed');
  t.same(sink.batches, [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]);
});

t.test('timer trigger: flushes a single row after the interval', async (t) => {
  const sink = new RecordingSink();
  const { w } = writer(sink, { flushIntervalMs: 50 });
  w.start();
  t.teardown(() => w.stop());
  w.push(row(1));
  t.ok(await until(async () => sink.batches.length > 0, 2000), 'flushed by the timer');
  t.same(sink.batches, [[1]]);
});

t.test('a failed flush keeps its rows, in order, for the next attempt; no retry storm', async (t) => {
  const sink = new RecordingSink();
  sink.failNext = 1;
  const { w, events } = writer(sink);
  for (let i = 0; i < 10; i++) w.push(row(i));
  t.ok(await until(async () => events.failed > 0, 2000), 'the flush failed');
  t.equal(events.failed, 1);
  t.equal(w.size, 10, 'rows kept');
  for (let i = 10; i < 25; i++) w.push(row(i));
  // "No retry for a while" has no event to wait for: a retry started by push would be done by now.
  await sleep(10);
  t.equal(events.failed, 1, 'pushes do not retry while failing: the timer does');
  t.ok(await w.flush());
  t.same(sink.batches[0], Array.from({ length: 25 }, (_, i) => i), 'retry writes the kept rows first');
  t.equal(w.size, 0);
});

t.test('one flush at a time; rows that arrive during a flush follow it', async (t) => {
  const sink = new RecordingSink();
  sink.delayMs = 30;
  const { w } = writer(sink, { flushIntervalMs: 10 });
  w.start();
  t.teardown(() => w.stop());
  for (let i = 0; i < 10; i++) w.push(row(i));
  for (let i = 10; i < 35; i++) w.push(row(i));
  const { left } = await w.drain(2000);
  t.equal(left, 0);
  t.same(sink.batches.flat(), Array.from({ length: 35 }, (_, i) => i), 'nothing lost, nothing twice, in order');
  t.equal(sink.batches[0]?.length, 10, 'first batch is what waited when it started');
});

t.test('batches are capped in rows and bytes; flushMaxRows is a trigger, not the cap', async (t) => {
  const sink = new RecordingSink();
  const { w } = writer(sink, { flushMaxRows: 100_000, maxBatchRows: 40, maxBatchBytes: 10_000, capacity: 1000 });
  for (let i = 0; i < 100; i++) w.push(row(i, i < 50 ? 100 : 1000));
  await w.drain(2000);
  // 40 small rows (row cap); 10 small + 9 large = 10,000 bytes (byte cap); then 10 large each.
  t.same(sink.batches.map((b) => b.length), [40, 19, 10, 10, 10, 10, 1]);
  t.same(sink.batches.flat(), Array.from({ length: 100 }, (_, i) => i));
});

t.test('push answers false when full', async (t) => {
  const { w } = writer(new RecordingSink(), { capacity: 3, flushMaxRows: 100 });
  t.same([w.push(row(1)), w.push(row(2)), w.push(row(3)), w.push(row(4))], [true, true, true, false]);
});

t.test('drain gives up at its deadline and reports what is left', async (t) => {
  const sink = new RecordingSink();
  sink.failNext = 1_000;
  const { w } = writer(sink, { flushMaxRows: 100 });
  for (let i = 0; i < 5; i++) w.push(row(i));
  const started = Date.now();
  const result = await w.drain(300);
  t.same(result, { written: 0, left: 5 });
  t.ok(Date.now() - started < 2000);
});

t.test('recovering from an outage while traffic goes on through the spool: every row stored once, in order, none left', async (t) => {
  // The spool's oldest segment is replayed and deleted while new rows keep arriving in 5 ms groups:
  // segment names must never be reused, nor a segment closed under a queued write.
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { Spool } = await import('../../src/buffer/spool.js');
  for (let run = 0; run < 2; run++) {
    let down = true;
    const stored: number[] = [];
    const sink = new RecordingSink();
    sink.writeBatch = async ({ rows }: Batch) => {
      await sleep(5);
      if (down) throw new SinkUnavailableError('down');
      for (const r of rows) stored.push(Number(r.url.split('/').pop()));
    };
    const errors: unknown[] = [];
    const spool = await Spool.open({ dir: mkdtempSync(join(tmpdir(), 'bi-recover-')), maxBytes: 1e12, onWriteError: (e) => errors.push(e) });
    const { w } = writer(sink, { capacity: 200, flushMaxRows: 50, flushIntervalMs: 20, spool });
    w.start();
    let pushed = 0;
    const pusher = setInterval(() => {
      for (let k = 0; k < 3; k++) if (w.push(row(pushed))) pushed++;
    }, 1);
    t.teardown(() => clearInterval(pusher)); // also when an assertion below throws
    // The outage lasts until the ring is full and rows have gone on to the spool for a while; the
    // recovery, with traffic still arriving, until every row taken during the outage is stored.
    t.ok(await until(async () => w.spooled >= 500, 10_000), `run ${run}: rows spooled during the outage`);
    down = false;
    const backlog = pushed;
    t.ok(await until(async () => stored.length >= backlog, 20_000), `run ${run}: the outage's rows written while traffic went on`);
    clearInterval(pusher);
    const { left } = await w.drain(5000);
    w.stop();
    t.equal(left + w.spooled, 0, `run ${run}: nothing left (${pushed} pushed)`);
    t.same(errors, [], `run ${run}: no spool write failed`);
    t.equal(stored.length, pushed, `run ${run}: every row stored`);
    t.equal(new Set(stored).size, stored.length, `run ${run}: none twice`);
    t.same(stored, [...stored].sort((a, b) => a - b), `run ${run}: in order`);
  }
});

t.test('a row refused, then an outage mid-split: the retry does not dead-letter it again', async (t) => {
  const sink = new RecordingSink();
  let outage = true;
  const dead: string[] = [];
  sink.writeBatch = async ({ rows }: Batch) => {
    if (rows.some((r) => r.url.endsWith('/0'))) throw new SinkRejectedError('bad value');
    if (outage && rows.length < 4) {
      outage = false;
      throw new SinkUnavailableError('down');
    }
    sink.batches.push(rows.map((r) => Number(r.url.split('/').pop())));
  };
  const events = { flushed: () => {}, flushFailed: () => {}, deadLettered: (_e: unknown, r: PageviewRow) => dead.push(r.url), spoolDamaged: () => {} };
  const w2 = new BatchWriter({ sink, capacity: 100, flushMaxRows: 100, flushIntervalMs: 60_000, spool: null, deadLetters: null, events, retryBaseMs: 5 });
  for (let i = 0; i < 8; i++) w2.push(row(i));
  const { left } = await w2.drain(2000);
  t.equal(left, 0);
  t.same(dead, ['https://a.example/0'], 'dead-lettered once');
  t.same(sink.batches.flat().sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7]);
  t.equal(w2.size, 0);
});

t.test('drain keeps to its deadline even when a flush hangs', async (t) => {
  const sink = new RecordingSink();
  sink.writeBatch = () => new Promise(() => {}); // never answers
  const { w } = writer(sink, { flushMaxRows: 100 });
  for (let i = 0; i < 5; i++) w.push(row(i));
  const started = Date.now();
  const { left } = await w.drain(300);
  t.ok(Date.now() - started < 1000, `returned after ${Date.now() - started} ms`);
  t.equal(left, 5, 'the rows are still there to be spilled');
});

t.test('BUFFER_MAX_BYTES: past the byte budget rows go to the spool, as when the ring is full; all land in order', async (t) => {
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { Spool } = await import('../../src/buffer/spool.js');
  const { rowHeapBytes } = await import('../../src/buffer/row-heap-bytes.js');
  const sink = new RecordingSink();
  sink.failNext = 1;
  const spool = await Spool.open({ dir: mkdtempSync(join(tmpdir(), 'bi-budget-')), maxBytes: 1e12 });
  const large = (n: number) => ({ ...row(n), payload: JSON.stringify({ text: 'x'.repeat(10_000) }) });
  const budget = 10 * rowHeapBytes(large(0));
  // Room for 1,000 rows by count, 10 by bytes.
  const { w } = writer(sink, { capacity: 1000, flushMaxRows: 1000, maxBytes: budget, spool });
  for (let i = 0; i < 10; i++) t.ok(w.push(large(i)));
  t.same([w.size, w.spooled], [10, 0], 'ten rows fill the budget');
  t.ok(w.bytes <= budget && w.bytes > budget * 0.9, 'counted');
  t.ok(w.hasRoom(), 'room: the spool takes what the ring cannot');
  for (let i = 10; i < 30; i++) t.ok(w.push(large(i)));
  t.same([w.size, w.spooled], [10, 20], 'the rest on disk');
  t.notOk(await w.flush(), 'the database is away');
  await w.drain(5000);
  t.same([w.size, w.spooled, w.bytes], [0, 0, 0], 'all written, nothing counted');
  t.same(sink.batches.flat(), Array.from({ length: 30 }, (_, i) => i), 'in the order taken');
});

t.test('BUFFER_MAX_BYTES without a spool: push answers false past the budget', async (t) => {
  const { rowHeapBytes } = await import('../../src/buffer/row-heap-bytes.js');
  const { w } = writer(new RecordingSink(), { capacity: 1000, flushMaxRows: 1000, maxBytes: 2 * rowHeapBytes(row(1)) });
  t.same([w.push(row(1)), w.push(row(2)), w.push(row(3))], [true, true, false]);
  t.notOk(w.hasRoom());
});
