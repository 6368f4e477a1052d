// The spool against a disk that fails (short writes, errors part-way through a group, failed
// fsyncs), and the directory fsyncs that make a new or removed segment survive a crash.
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { Spool } from '../../src/buffer/spool.js';
import { injectFaults, recordSyncs } from './file-faults.js';
import { numbers, spoolRow } from './spool-row.js';

const dir = () => mkdtempSync(join(tmpdir(), 'bi-spool-faults-'));
const rows = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => spoolRow(from + i));

/** Every row and unreadable line of a spool directory, reopened as after a restart. */
async function reopen(d: string): Promise<{ rows: number[]; bad: string[]; segments: number }> {
  const spool = await Spool.open({ dir: d, maxBytes: 1e9 });
  const out = { rows: [] as number[], bad: [] as string[], segments: 0 };
  for (let seg = await spool.oldest(); seg !== null; seg = await spool.oldest()) {
    out.rows.push(...numbers(seg.rows));
    out.bad.push(...seg.bad);
    out.segments++;
    await spool.remove(seg.name);
  }
  return out;
}

t.test('a short write is finished, not acknowledged half-done', async (t) => {
  const d = dir();
  const faults = await injectFaults(t, d);
  const spool = await Spool.open({ dir: d, maxBytes: 1e9 });
  faults.writes.push('short');
  t.equal(await spool.append(rows(0, 5)).durable, true);
  await spool.close();
  t.same(faults.writes, [], 'the short write happened');
  t.same(await reopen(d), { rows: [0, 1, 2, 3, 4], bad: [], segments: 1 }, 'all five rows, whole');
});

t.test('a write that fails part-way fails its group, cuts the segment back, and the next group goes to a new segment', async (t) => {
  const d = dir();
  const faults = await injectFaults(t, d);
  const errors: { code: unknown; rows: number }[] = [];
  const spool = await Spool.open({ dir: d, maxBytes: 1e9, onWriteError: (err, rows) => errors.push({ code: (err as NodeJS.ErrnoException).code, rows }) });
  t.equal(await spool.append(rows(0, 3)).durable, true);
  const [first] = readdirSync(d);
  const good = statSync(join(d, first as string)).size;
  // A disk filling up: part of the group lands, then ENOSPC.
  faults.writes.push('short', 'error');
  t.equal(await spool.append(rows(3, 6)).durable, false, 'the group is not acknowledged');
  t.same(errors, [{ code: 'ENOSPC', rows: 3 }], 'reported with its rows');
  t.equal(statSync(join(d, first as string)).size, good, 'the torn bytes are cut off');
  t.equal(spool.rows, 3);
  t.equal(await spool.append(rows(6, 9)).durable, true, 'the disk has room again');
  await spool.close();
  t.equal(readdirSync(d).length, 2, 'the next group went to a new segment');
  t.same(await reopen(d), { rows: [0, 1, 2, 6, 7, 8], bad: [], segments: 2 }, 'every acknowledged row, none of the failed group, no torn line');
});

t.test('a failed fsync fails its group the same way', async (t) => {
  const d = dir();
  const faults = await injectFaults(t, d);
  const errors: unknown[] = [];
  const spool = await Spool.open({ dir: d, maxBytes: 1e9, onWriteError: (err) => errors.push((err as NodeJS.ErrnoException).code) });
  t.equal(await spool.append(rows(0, 3)).durable, true);
  faults.datasyncs.push('error');
  t.equal(await spool.append(rows(3, 6)).durable, false);
  t.same(errors, ['EIO']);
  t.equal(await spool.append(rows(6, 9)).durable, true);
  await spool.close();
  t.same(await reopen(d), { rows: [0, 1, 2, 6, 7, 8], bad: [], segments: 2 }, 'the failed group is not replayed though its bytes had reached the file');
});

t.test('a prepend that fails removes its half-written segment and throws', async (t) => {
  const d = dir();
  const faults = await injectFaults(t, d);
  const spool = await Spool.open({ dir: d, maxBytes: 1e9 });
  await spool.append(rows(10, 12)).durable;
  const before = readdirSync(d);
  faults.writes.push('short', 'error');
  await t.rejects(spool.prepend(rows(0, 5)), { code: 'ENOSPC' });
  t.same(readdirSync(d), before, 'no segment left behind');
  t.equal(spool.rows, 2);
  await spool.prepend(rows(5, 7));
  await spool.close();
  t.same(await reopen(d), { rows: [5, 6, 10, 11], bad: [], segments: 2 });
});

t.test('creating and removing segments fsyncs the directory', async (t) => {
  const synced = await recordSyncs(t);
  const d = dir();
  const count = () => synced.filter((p) => p === d).length;
  writeFileSync(join(d, '500000000007.ndjson'), ''); // an empty segment left by a crash
  const spool = await Spool.open({ dir: d, maxBytes: 1e9 });
  t.equal(count(), 1, 'open removed an empty segment');
  let atDurable = -1;
  await spool.append(rows(0, 2)).durable.then(() => (atDurable = count()));
  t.equal(atDurable, 2, 'a new segment is in the directory before its rows are acknowledged');
  await spool.prepend(rows(2, 3));
  t.equal(count(), 3, 'prepend');
  const oldest = await spool.oldest();
  await spool.remove(oldest?.name as string);
  t.equal(count(), 4, 'remove');

  const w = dir();
  const wal = await Spool.open({ dir: w, maxBytes: 1e9 });
  await wal.append(rows(0, 2)).durable;
  const walSyncs = () => synced.filter((p) => p === w).length;
  t.equal(walSyncs(), 1);
  await wal.retire(2);
  t.equal(walSyncs(), 2, 'retire');
  t.same(readdirSync(w), []);
  await wal.append(rows(3, 4)).durable;
  const before = count();
  await wal.moveBefore(spool);
  t.equal(walSyncs(), 4, 'moveBefore removes from its directory');
  t.equal(count(), before + 1, 'and creates in the other');
  await wal.close();
  await spool.close();
  t.same(await reopen(d), { rows: [3, 0, 1], bad: [], segments: 2 });
});
