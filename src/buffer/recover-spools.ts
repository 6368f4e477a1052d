import { join } from 'node:path';
import type { DeadLetters } from './dead-letters.js';
import { holdsSegments, workerSpoolDirs } from './spool-layout.js';
import type { SpoolDamaged } from './spool-replay.js';
import { Spool, type SpoolOptions } from './spool.js';

export interface RecoverSpoolsOptions {
  /** This process's spool: what is recovered goes before what it holds (it is older). */
  spool: Spool;
  /** The spool directory, where worker processes (WORKERS>1) keep theirs (`worker-N`). */
  dir: string;
  /** This process's write-ahead log. */
  wal: SpoolOptions;
  /** BUFFER_DURABILITY=disk: the WAL stays open for appends and is returned. */
  keepWal: boolean;
  deadLetters: Pick<DeadLetters, 'writeUnreadable'>;
  /** Lines that do not decode are reported like the spool's own at replay. */
  spoolDamaged: SpoolDamaged;
}

export interface Recovered {
  /** The WAL to append to (keepWal), else null. */
  wal: Spool | null;
  /** Rows of a WAL left by an unclean stop, now at the head of the spool. */
  fromWal: number;
  /** Worker spools of an earlier run that held rows, and how many. */
  fromWorkers: { dir: string; rows: number }[];
}

/**
 * Start-up: rows an earlier run accepted and may not have written are moved into this process's
 * spool, to be replayed first (rows already written are skipped by their beacon_id): a WAL left
 * by a crash, and the spools and WALs of worker processes, which after WORKERS went down, or back
 * to 1, nobody else would replay. Lines that do not decode are dead-lettered before the segment
 * that held them is removed, and reported.
 */
export async function recoverSpools(o: RecoverSpoolsOptions): Promise<Recovered> {
  const recovered: Recovered = { wal: null, fromWal: 0, fromWorkers: [] };
  if (o.keepWal || (await holdsSegments(o.wal.dir))) {
    const left = await Spool.open(o.wal);
    recovered.fromWal = await takeOver(left, o.wal.dir, o);
    if (o.keepWal) recovered.wal = left;
    else await left.close();
  }
  for (const dir of await workerSpoolDirs(o.dir)) {
    let rows = 0;
    // Prepended in turn: the worker's WAL rows end up first, then its spool's, then ours.
    for (const sub of [dir, join(dir, 'wal')]) {
      if (!(await holdsSegments(sub))) continue;
      const orphan = await Spool.open({ dir: sub, maxBytes: Number.MAX_SAFE_INTEGER });
      rows += await takeOver(orphan, sub, o);
      await orphan.close();
    }
    if (rows > 0) recovered.fromWorkers.push({ dir, rows });
  }
  return recovered;
}

async function takeOver(from: Spool, source: string, o: RecoverSpoolsOptions): Promise<number> {
  // The first reason a segment's lines could not be kept, if any.
  let error: unknown = null;
  const { moved, bad } = await from.moveBefore(o.spool, async (lines) => {
    error ??= await o.deadLetters.writeUnreadable(lines);
  });
  if (bad.length > 0) o.spoolDamaged(bad.length, source, error);
  return moved;
}
