// What the writer gets on disk at start, called directly: the spool, what an earlier run left moved
// to its head, the WAL when durable, and each failure reported where the caller said.
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { DeadLetters } from '../../src/buffer/dead-letters.js';
import { openSpools, type OpenSpoolsOptions } from '../../src/buffer/open-spools.js';
import { encodeRow } from '../../src/buffer/row-codec.js';
import type { Spool } from '../../src/buffer/spool.js';
import { injectFaults } from './file-faults.js';
import { numbers, spoolRow } from './spool-row.js';

function options(over: Partial<OpenSpoolsOptions> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'bi-open-spools-'));
  const reports = { damaged: [] as unknown[][], spoolWrite: [] as number[], walWrite: [] as number[], lost: [] as string[] };
  const o: OpenSpoolsOptions = {
    dir,
    maxBytes: 1e9,
    durable: false,
    deadLetters: new DeadLetters(dir),
    spoolDamaged: (...a) => void reports.damaged.push(a),
    onSpoolWriteError: (_err, rows) => void reports.spoolWrite.push(rows),
    onSegmentLost: (_err, segment) => void reports.lost.push(segment),
    onWalWriteError: (_err, rows) => void reports.walWrite.push(rows),
    ...over,
  };
  return { dir, o, reports };
}

function segment(dir: string, lines: string[]): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, '500000000000.ndjson'), lines.join('\n') + '\n');
}

async function drain(spool: Spool): Promise<number[]> {
  const seen: number[] = [];
  for (let s = await spool.oldest(); s !== null; s = await spool.oldest()) {
    seen.push(...numbers(s.rows));
    await spool.remove(s.name);
  }
  return seen;
}

t.test('a first start: an empty spool in SPOOL_DIR, no WAL unless durable, nothing recovered', async (t) => {
  const { dir, o } = options();
  const opened = await openSpools(o);
  t.equal(opened.spool.rows, 0);
  t.equal(opened.wal, null, 'BUFFER_DURABILITY=memory: no WAL');
  t.same([opened.fromWal, opened.fromWorkers], [0, []]);
  await opened.spool.append([spoolRow(1)]).durable;
  t.equal(readdirSync(dir).filter((f) => f.endsWith('.ndjson')).length, 1, 'the spool writes in SPOOL_DIR itself');
  await opened.spool.close();
});

t.test('durable: the WAL is open in SPOOL_DIR/wal, uncapped by SPOOL_MAX_BYTES', async (t) => {
  const { dir, o } = options({ durable: true, maxBytes: 0 });
  const { spool, wal } = await openSpools(o);
  if (wal === null) throw new Error('expected a WAL');
  t.equal(await wal.append([spoolRow(1), spoolRow(2)]).durable, true);
  t.equal(readdirSync(join(dir, 'wal')).filter((f) => f.endsWith('.ndjson')).length, 1);
  t.equal(spool.append([spoolRow(3)]).accepted, 0, 'the spool keeps its own cap');
  await wal.close();
  await spool.close();
});

t.test("an earlier run's WAL and a worker's spool go to the head of the spool, their damage reported", async (t) => {
  const { dir, o, reports } = options();
  segment(dir, [encodeRow(spoolRow(9))]);
  segment(join(dir, 'wal'), [encodeRow(spoolRow(3)), 'torn {"be']);
  segment(join(dir, 'worker-2'), [encodeRow(spoolRow(1)), encodeRow(spoolRow(2))]);
  const { spool, wal, fromWal, fromWorkers } = await openSpools(o);
  t.same({ wal, fromWal, fromWorkers }, { wal: null, fromWal: 1, fromWorkers: [{ dir: join(dir, 'worker-2'), rows: 2 }] });
  t.same(await drain(spool), [1, 2, 3, 9], 'older rows first, ours last');
  t.same(reports.damaged, [[1, join(dir, 'wal'), null]]);
  await spool.close();
});

t.test('write failures go to the callbacks given: the spool loses rows, the WAL only their crash safety', async (t) => {
  const { dir, o, reports } = options({ durable: true });
  const faults = await injectFaults(t, dir);
  const { spool, wal } = await openSpools(o);
  faults.writes.push('error');
  t.equal(await wal?.append([spoolRow(1)]).durable, false);
  t.same(reports.walWrite, [1], 'the WAL write reported');
  faults.writes.push('error');
  t.equal(await spool.append([spoolRow(2), spoolRow(3)]).durable, false);
  t.same(reports.spoolWrite, [2], 'the spool write reported');
  await wal?.close();
  await spool.close();
});
