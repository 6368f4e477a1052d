// A spool on a disk that runs out of room, for real: a child process under `ulimit -f 16` (16 KiB
// per file; no root or tmpfs needed, and Node ignores SIGXFSZ so the writes fail with a short
// write, then EFBIG). Every group the spool acknowledged must be there after a restart, whole.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { decodeRow } from '../../src/buffer/row-codec.js';
import { Spool } from '../../src/buffer/spool.js';
import { numbers } from './spool-row.js';

const LIMIT_BLOCKS = 16; // of 1 KiB: about 35 rows per file
const root = fileURLToPath(new URL('../../', import.meta.url));
const script = fileURLToPath(new URL('fill-spool.ts', import.meta.url));

t.test('past a file-size limit: no acknowledged row is lost or torn, and no failed write is left in a segment', async (t) => {
  const d = mkdtempSync(join(tmpdir(), 'bi-spool-limit-'));
  // NODE_OPTIONS unset in the shell: tap puts its coverage hook back into every child's environment,
  // and the files that hook writes at exit would run into the limit too.
  const command = `unset NODE_OPTIONS; ulimit -f ${LIMIT_BLOCKS}; exec node --import tsx "$0" "$1"`;
  const out = execFileSync('bash', ['-c', command, script, d], { cwd: root, encoding: 'utf8' });
  const { groups, prepend } = JSON.parse(out) as { groups: { first: number; count: number; durable: boolean }[]; prepend: string };
  const failed = groups.filter((g) => !g.durable);
  t.ok(failed.length > 0, `${failed.length} of ${groups.length} groups ran into the limit`);
  t.ok(groups.slice(groups.indexOf(failed[0] as (typeof groups)[0])).some((g) => g.durable), 'groups after a failure are acknowledged again (in a new segment)');
  t.equal(prepend, 'EFBIG', 'a prepend that does not fit throws');

  for (const name of readdirSync(d)) {
    const text = readFileSync(join(d, name), 'utf8');
    t.ok(text.endsWith('\n'), `${name} ends with a whole line`);
    const torn = text.split('\n').slice(0, -1).filter((line) => {
      try {
        decodeRow(line);
        return false;
      } catch {
        return true;
      }
    });
    t.same(torn, [], `${name}: every line is a row`);
  }
  const acknowledged = groups.filter((g) => g.durable).flatMap((g) => Array.from({ length: g.count }, (_, i) => g.first + i));
  const spool = await Spool.open({ dir: d, maxBytes: Number.MAX_SAFE_INTEGER });
  const found: number[] = [];
  for (let seg = await spool.oldest(); seg !== null; seg = await spool.oldest()) {
    found.push(...numbers(seg.rows));
    await spool.remove(seg.name);
  }
  t.same(found, acknowledged, 'exactly the acknowledged rows, in order: none lost, none of a failed group, nothing of the failed prepend');
});
