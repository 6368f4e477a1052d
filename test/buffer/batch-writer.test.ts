// Writer policy (triggers, retries, ordering) against a recording sink; writing to the real
// database is covered in test/e2e and test/sinks.
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { BatchWriter } from '../../src/buffer/batch-writer.js';
import { SinkUnavailableError, type Batch, type PageviewRow, type Sink } from '../../src/sinks/sink.js';

function row(n: number, approxBytes = 300): PageviewRow {
  return {
    beaconId: Buffer.alloc(16, n), url: `https://a.example/${n}`, hostname: 'a.example', type: 'pageview', eventName: null,
    userAgent: null, browser: null, os: null, device: null, isBot: false, viewportWidth: null, viewportHeight: null, referrer: null, clientTimestamp: null,
    serverTimestamp: new Date(), clientIp: null, sessionId: null, payload: null, userHash: '0'.repeat(16), geoCountry: null, session: null, approxBytes,
  };
}

class RecordingSink implements Sink {
  readonly description = 'recording';
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
  async getOrCreateSalt(_day: string, candidate: Buffer) {
    return candidate;
  }
  async deleteSaltsBefore() {
    return 0;
  }
  async loadActiveSessions() {
    return [];
  }
  async deleteOlderThan() {
    return 0;
  }
  async ping() {}
  async close() {}
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
    events: { flushed: (n) => events.flushed.push(n), flushFailed: () => events.failed++, deadLettered: () => {}, spoolSkipped: () => {} },
    ...opts,
  });
  return { w, events };
}

t.test('size trigger: flushes when flushMaxRows rows wait', async (t) => {
  const sink = new RecordingSink();
  const { w } = writer(sink);
  for (let i = 0; i < 9; i++) w.push(row(i));
  await sleep(10);
  t.same(sink.batches, []);
  w.push(row(9));
  await sleep(10);
  t.same(sink.batches, [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]);
});

t.test('timer trigger: flushes a single row after the interval', async (t) => {
  const sink = new RecordingSink();
  const { w } = writer(sink, { flushIntervalMs: 50 });
  w.start();
  t.teardown(() => w.stop());
  w.push(row(1));
  await sleep(150);
  t.same(sink.batches, [[1]]);
});

t.test('a failed flush keeps its rows, in order, for the next attempt; no retry storm', async (t) => {
  const sink = new RecordingSink();
  sink.failNext = 1;
  const { w, events } = writer(sink);
  for (let i = 0; i < 10; i++) w.push(row(i));
  await sleep(10);
  t.equal(events.failed, 1);
  t.equal(w.size, 10, 'rows kept');
  for (let i = 10; i < 25; i++) w.push(row(i));
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
