// Spool and WAL lines that do not decode: dead-lettered and reported when a segment is replayed
// (BatchWriter) and when a crashed WAL or a worker's spool is taken over at start (writer plugin).
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { RowDataPacket } from 'mysql2/promise';
import { BatchWriter, type WriterEvents } from '../../src/buffer/batch-writer.js';
import { DeadLetters } from '../../src/buffer/dead-letters.js';
import { encodeRow } from '../../src/buffer/row-codec.js';
import { Spool } from '../../src/buffer/spool.js';
import type { Batch, Sink } from '../../src/sinks/sink.js';
import { buildTestApp, metricValue } from '../helpers/app.js';
import { numbers, spoolRow } from './spool-row.js';

const dir = () => mkdtempSync(join(tmpdir(), 'bi-replay-damage-'));
const good = (n: number) => encodeRow(spoolRow(n));
const segment = (d: string, name: string, lines: string[]) => {
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, name), lines.join('\n') + '\n');
};
const letters = (path: string) => readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { code: string; error: string; line?: string });

function recordingSink(): Sink & { written: number[] } {
  const written: number[] = [];
  return {
    description: 'recording',
    written,
    async writeBatch({ rows }: Batch) {
      written.push(...numbers(rows));
    },
    getOrCreateSalt: async (_day: string, candidate: Buffer) => candidate,
    deleteSaltsBefore: async () => 0,
    loadActiveSessions: async () => [],
    deleteOlderThan: async () => 0,
    ping: async () => {},
    close: async () => {},
  };
}

async function replay(deadLetters: DeadLetters | null, spoolDir: string) {
  const damaged: [number, string, unknown][] = [];
  const events: WriterEvents = { flushed: () => {}, flushFailed: () => {}, deadLettered: () => {}, spoolDamaged: (...a) => void damaged.push(a) };
  const sink = recordingSink();
  const spool = await Spool.open({ dir: spoolDir, maxBytes: 1e9 });
  const writer = new BatchWriter({ sink, capacity: 100, flushMaxRows: 100, flushIntervalMs: 60_000, spool, deadLetters, events, retryBaseMs: 5 });
  const { left } = await writer.drain(5000);
  return { damaged, written: sink.written, left, spooled: writer.spooled };
}

t.test('a replayed segment: its bad lines are dead-lettered as they were and reported; the rows around them are written', async (t) => {
  const d = dir();
  segment(d, '500000000000.ndjson', [good(1), 'torn {"beaconId', good(2), '{"url":"no id"}', good(3)]);
  const deadLetters = new DeadLetters(d, { maxBytes: 1e6 });
  const { damaged, written, left, spooled } = await replay(deadLetters, d);
  t.same(written, [1, 2, 3]);
  t.same([left, spooled], [0, 0]);
  t.same(damaged, [[2, '500000000000.ndjson', null]], 'reported once, with the segment');
  t.match(letters(deadLetters.path), [
    { code: 'unreadable', line: 'torn {"beaconId', error: /not a spooled row/ },
    { code: 'unreadable', line: '{"url":"no id"}', error: /not a spooled row/ },
  ]);
});

t.test('a dead-letter file that cannot be written does not hold up the replay', async (t) => {
  const d = dir();
  segment(d, '500000000000.ndjson', [good(1), 'garbage', good(2)]);
  writeFileSync(join(d, 'not-a-dir'), '');
  const { damaged, written } = await replay(new DeadLetters(join(d, 'not-a-dir'), { maxBytes: 1e6 }), d);
  t.same(written, [1, 2]);
  t.equal(damaged.length, 1);
  t.match(damaged[0]?.[2], { code: 'EEXIST' }, 'the reason it could not be kept is reported');
});

t.test('start-up: damage in a crashed WAL and in a worker\'s spool is dead-lettered, logged and counted like the spool\'s', async (t) => {
  const h = await buildTestApp(t, { LOG_LEVEL: 'info' }, (config) => {
    segment(join(config.spoolDir, 'wal'), '500000000000.ndjson', [good(1), 'wal torn {"be', good(2)]);
    segment(join(config.spoolDir, 'worker-1'), '500000000000.ndjson', ['{"worker":"garbage"}', good(3)]);
  });
  const metrics = (await h.app.inject('/metrics')).body;
  t.equal(metricValue(metrics, 'beacon_dead_letter_rows_total{reason="unreadable"}'), 2);
  t.equal(metricValue(metrics, 'beacon_dead_letter_rows_total{reason="refused"}'), 0, 'both reasons are there from the start');
  t.equal(metricValue(metrics, 'beacon_dead_letter_dropped_total'), 0);
  t.match(letters(join(h.config.spoolDir, 'dead-letter.ndjson')), [
    { code: 'unreadable', line: 'wal torn {"be' },
    { code: 'unreadable', line: '{"worker":"garbage"}' },
  ]);
  const logged = h.logs.filter((l) => l.level === 50 && /do not decode/.test(l.msg));
  t.match(logged, [{ lines: 1, source: join(h.config.spoolDir, 'wal') }, { lines: 1, source: join(h.config.spoolDir, 'worker-1') }], 'an error line each, naming where');
  await h.flush();
  const stored = await h.db.query<RowDataPacket>('SELECT url FROM pageviews ORDER BY url');
  t.same(stored.map((r) => r.url), [1, 2, 3].map((n) => `https://a.example/${n}`), 'the rows around the damage are written');
});

t.test('start-up with DEAD_LETTER_MAX_BYTES=0: the damage is counted as dropped, and no file is written', async (t) => {
  const h = await buildTestApp(t, { DEAD_LETTER_MAX_BYTES: '0' }, (config) => {
    segment(join(config.spoolDir, 'wal'), '500000000000.ndjson', ['one', good(1), 'two']);
  });
  const metrics = (await h.app.inject('/metrics')).body;
  t.equal(metricValue(metrics, 'beacon_dead_letter_rows_total{reason="unreadable"}'), 2);
  t.equal(metricValue(metrics, 'beacon_dead_letter_dropped_total'), 2);
  t.throws(() => readFileSync(join(h.config.spoolDir, 'dead-letter.ndjson')), { code: 'ENOENT' });
});
