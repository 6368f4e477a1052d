import { join } from 'node:path';
import type { DeadLetters } from './dead-letters.js';
import { recoverSpools, type Recovered } from './recover-spools.js';
import type { SpoolDamaged } from './spool-replay.js';
import { Spool } from './spool.js';

// A few milliseconds of grouping turn one fsync per beacon into one per burst; the latency is
// paid only with BUFFER_DURABILITY=disk, where the answer waits for it.
const WAL_GROUP_MS = 2;

export interface OpenSpoolsOptions {
  /** SPOOL_DIR: this process's spool, its write-ahead log in `wal/`, and worker processes' spools. */
  dir: string;
  /** SPOOL_MAX_BYTES, for the spool only. */
  maxBytes: number;
  /** BUFFER_DURABILITY=disk: the WAL stays open for the writer to append to. */
  durable: boolean;
  deadLetters: Pick<DeadLetters, 'writeUnreadable'>;
  /** Lines of a spool or WAL taken over that do not decode. */
  spoolDamaged: SpoolDamaged;
  /** A spool write failed: these rows are lost. */
  onSpoolWriteError(err: unknown, rows: number): void;
  /** A spool segment's file is gone (deleted by hand): its rows are lost. */
  onSegmentLost(err: unknown, segment: string, rows: number): void;
  /** A WAL write failed: the rows stay in memory and are written as usual, only not crash-safe. */
  onWalWriteError(err: unknown, rows: number): void;
}

export interface OpenedSpools extends Recovered {
  /** Where rows go once memory is full, and what is left at shutdown; recovered rows at its head. */
  spool: Spool;
}

/**
 * What the writer needs on disk at start: the spool, opened; rows an earlier run left in a WAL or
 * in worker spools, moved to its head (recoverSpools); and the WAL to append to, when durable.
 */
export async function openSpools(o: OpenSpoolsOptions): Promise<OpenedSpools> {
  const spool = await Spool.open({ dir: o.dir, maxBytes: o.maxBytes, onWriteError: o.onSpoolWriteError, onSegmentLost: o.onSegmentLost });
  const recovered = await recoverSpools({
    spool,
    dir: o.dir,
    // Never capped: its rows are already accepted (and in memory).
    wal: { dir: join(o.dir, 'wal'), maxBytes: Number.MAX_SAFE_INTEGER, groupMs: WAL_GROUP_MS, onWriteError: o.onWalWriteError },
    keepWal: o.durable,
    deadLetters: o.deadLetters,
    spoolDamaged: o.spoolDamaged,
  });
  return { spool, ...recovered };
}
