// Start-up recovery, called directly: a crashed WAL and workers' spools moved into the spool in
// order, their bad lines dead-lettered before the segment that held them is removed.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { DeadLetters } from '../../src/buffer/dead-letters.js';
import { recoverSpools, type RecoverSpoolsOptions } from '../../src/buffer/recover-spools.js';
import { encodeRow } from '../../src/buffer/row-codec.js';
import { Spool } from '../../src/buffer/spool.js';
import { numbers, spoolRow } from './spool-row.js';

const good = (n: number) => encodeRow(spoolRow(n));
const SEGMENT = '500000000000.ndjson';
const segment = (d: string, lines: string[]) => {
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, SEGMENT), lines.join('\n') + '\n');
};

async function setup(over: Partial<RecoverSpoolsOptions> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'bi-recover-spools-'));
  const spool = await Spool.open({ dir, maxBytes: 1e9 });
  const damaged: [number, string, unknown][] = [];
  const options: RecoverSpoolsOptions = {
    spool, dir, wal: { dir: join(dir, 'wal'), maxBytes: Number.MAX_SAFE_INTEGER }, keepWal: false,
    deadLetters: new DeadLetters(dir), spoolDamaged: (...a) => void damaged.push(a), ...over,
  };
  return { dir, spool, damaged, options };
}

async function order(spool: Spool): Promise<number[]> {
  const seen: number[] = [];
  for (let s = await spool.oldest(); s !== null; s = await spool.oldest()) {
    seen.push(...numbers(s.rows));
    await spool.remove(s.name);
  }
  return seen;
}

t.test('a crashed WAL and a worker\'s spool and WAL: moved before the spool\'s rows, in order, damage reported by source', async (t) => {
  const { dir, spool, damaged, options } = await setup();
  await spool.append([spoolRow(9)]).durable;
  segment(join(dir, 'wal'), [good(3), 'torn {"be', good(4)]);
  segment(join(dir, 'worker-1'), [good(2)]);
  segment(join(dir, 'worker-1', 'wal'), [good(1), '{"not":"a row"}']);
  const recovered = await recoverSpools(options);
  t.same(recovered, { wal: null, fromWal: 2, fromWorkers: [{ dir: join(dir, 'worker-1'), rows: 2 }] });
  t.same(await order(spool), [1, 2, 3, 4, 9], "the worker's WAL, its spool, our WAL, then ours");
  t.same(damaged, [[1, join(dir, 'wal'), null], [1, join(dir, 'worker-1', 'wal'), null]]);
  t.same([readdirSync(join(dir, 'wal')), readdirSync(join(dir, 'worker-1', 'wal'))], [[], []], 'the segments taken over are gone');
});

t.test('keepWal: the WAL is returned open for appends', async (t) => {
  const { options } = await setup({ keepWal: true });
  const { wal, fromWal } = await recoverSpools(options);
  t.equal(fromWal, 0);
  t.ok(wal instanceof Spool);
  t.equal(await wal?.append([spoolRow(1)]).durable, true);
  await wal?.close();
});

t.test('bad lines are dead-lettered before their segment is removed: a crash in between loses nothing', async (t) => {
  const { dir, options } = await setup();
  const walSegment = join(dir, 'wal', SEGMENT);
  segment(join(dir, 'wal'), [good(1), 'acknowledged, then damaged on disk']);
  const stillThere: boolean[] = [];
  await t.rejects(
    recoverSpools({
      ...options,
      deadLetters: {
        // The process dies while writing the dead letter.
        writeUnreadable: async () => {
          stillThere.push(existsSync(walSegment));
          throw new Error('crash');
        },
      },
    }),
  );
  t.same(stillThere, [true], 'the segment was still on disk when its bad lines were being dead-lettered');
  t.ok(existsSync(walSegment), 'and is after the crash');
  // The next start: a new spool on the same directory, the real dead-letter file.
  const again = await Spool.open({ dir, maxBytes: 1e9 });
  const deadLetters = new DeadLetters(dir);
  await recoverSpools({ ...options, spool: again, deadLetters });
  const letters = readFileSync(deadLetters.path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { line: string });
  t.same(letters.map((l) => l.line), ['acknowledged, then damaged on disk'], 'the damaged line is kept');
  t.same(await order(again), [1, 1], 'its row twice (the first start had moved it): written once, by its beacon_id');
});
