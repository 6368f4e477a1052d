// Child of spool-disk-limit.test.ts, run under `ulimit -f`: appends groups of rows to a spool in
// argv[2] until past the file-size limit, and prints which groups were acknowledged. Node ignores
// SIGXFSZ, so crossing the limit is a short write, then EFBIG: what a full disk does.
import { Spool } from '../../src/buffer/spool.js';
import { spoolRow } from './spool-row.js';

const dir = process.argv[2] as string;
const spool = await Spool.open({ dir, maxBytes: Number.MAX_SAFE_INTEGER, groupMs: 1 });
const groups: { first: number; count: number; durable: boolean }[] = [];
let n = 1000;
for (let g = 0; g < 60; g++) {
  const count = 1 + ((g * 7) % 13);
  const rows = Array.from({ length: count }, (_, i) => spoolRow(n + i));
  groups.push({ first: n, count, durable: await spool.append(rows).durable });
  n += count;
}
// Larger than the limit: this segment cannot be written whole.
let prepend = 'written';
try {
  await spool.prepend(Array.from({ length: 60 }, (_, i) => spoolRow(i)));
} catch (err) {
  prepend = (err as NodeJS.ErrnoException).code ?? String(err);
}
await spool.close();
process.stdout.write(JSON.stringify({ groups, prepend }));
