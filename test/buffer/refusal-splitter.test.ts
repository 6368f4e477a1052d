// Splitting a refused batch down to the refused rows, against a sink that refuses on demand.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { DeadLetters } from '../../src/buffer/dead-letters.js';
import { RefusalSplitter } from '../../src/buffer/refusal-splitter.js';
import { SinkRejectedError, type Batch, type PageviewRow, type Sink } from '../../src/sinks/sink.js';
import { numbers, spoolRow } from './spool-row.js';

/** Refuses every statement holding a row numbered in `refused`; records the rows of those it takes. */
function refusingSink(refused: number[]): Sink & { written: number[]; statements: number } {
  const sink = {
    description: 'refusing',
    written: [] as number[],
    statements: 0,
    async writeBatch({ rows }: Batch) {
      sink.statements++;
      if (numbers(rows).some((n) => refused.includes(n))) throw new SinkRejectedError('refused', { code: 'ER_DATA_TOO_LONG' });
      sink.written.push(...numbers(rows));
    },
    getOrCreateSalt: async (_day: string, candidate: Buffer) => candidate,
    deleteSaltsBefore: async () => 0,
    loadActiveSessions: async () => [],
    deleteOlderThan: async () => 0,
    ping: async () => {},
    close: async () => {},
  };
  return sink;
}

async function split(deadLetters: DeadLetters | null) {
  const sink = refusingSink([3]);
  const seen: { url: string; error: unknown; kept: unknown; writeError: unknown }[] = [];
  const splitter = new RefusalSplitter(sink, deadLetters, {
    deadLettered: (error: unknown, row: PageviewRow, kept?: unknown, writeError?: unknown) => void seen.push({ url: row.url, error, kept, writeError }),
  });
  const written = await splitter.write(Array.from({ length: 8 }, (_, i) => spoolRow(i)));
  return { sink, seen, written };
}

t.test('the refused row is found, the others written; the event says the letter was kept', async (t) => {
  const { sink, seen, written } = await split(new DeadLetters(mkdtempSync(join(tmpdir(), 'bi-split-'))));
  t.equal(written, 7);
  t.same(sink.written.sort((a, b) => a - b), [0, 1, 2, 4, 5, 6, 7]);
  t.ok(sink.statements <= 1 + 2 * Math.log2(8), `${sink.statements} statements`);
  t.match(seen, [{ url: 'https://a.example/3', error: { code: 'ER_DATA_TOO_LONG' }, kept: true }]);
  t.notOk(seen[0]?.writeError, 'no write error');
});

t.test('past DEAD_LETTER_MAX_BYTES: the event says it was not kept, with the refusal as the error', async (t) => {
  const { seen } = await split(new DeadLetters(mkdtempSync(join(tmpdir(), 'bi-split-')), { maxBytes: 0 }));
  t.match(seen, [{ url: 'https://a.example/3', error: { code: 'ER_DATA_TOO_LONG' }, kept: false }]);
  t.notOk(seen[0]?.writeError);
});

t.test('a dead-letter file that cannot be written: not kept, with both the refusal and the write error', async (t) => {
  const d = mkdtempSync(join(tmpdir(), 'bi-split-'));
  writeFileSync(join(d, 'not-a-dir'), '');
  const { seen, written } = await split(new DeadLetters(join(d, 'not-a-dir')));
  t.equal(written, 7, 'the writer is not held up');
  t.match(seen, [{ url: 'https://a.example/3', error: { code: 'ER_DATA_TOO_LONG' }, kept: false, writeError: { code: 'EEXIST' } }]);
});
