import type { PageviewRow } from '../sinks/sink.js';
import { batchLength } from './batch-length.js';
import type { DeadLetters } from './dead-letters.js';
import type { Spool } from './spool.js';

/** Where spooled lines that do not decode are reported (WriterEvents.spoolDamaged). */
export type SpoolDamaged = (lines: number, source: string, error: unknown) => void;

/**
 * The writer's read position in the spool: its oldest segment, read whole, handed out in batches,
 * and deleted only once every row of it is written ("peek, write, then drop", as the ring), so a
 * crash or an outage at any point replays it again (row writes are idempotent). A segment's lines
 * that do not decode are dead-lettered and reported when it is read, never holding up its rows.
 */
export class SpoolReplay {
  readonly #spool: Spool;
  readonly #deadLetters: DeadLetters | null;
  readonly #spoolDamaged: SpoolDamaged;
  #segment: { name: string; rows: PageviewRow[]; next: number } | null = null;

  constructor(spool: Spool, deadLetters: DeadLetters | null, spoolDamaged: SpoolDamaged) {
    this.#spool = spool;
    this.#deadLetters = deadLetters;
    this.#spoolDamaged = spoolDamaged;
  }

  /** The next rows: at most `maxRows`, and `maxBytes` unless one row is larger; null when the spool is empty. */
  async take(maxRows: number, maxBytes: number): Promise<PageviewRow[] | null> {
    if (this.#segment === null) {
      const segment = await this.#spool.oldest();
      if (segment === null) return null;
      if (segment.bad.length > 0) {
        const error = (await this.#deadLetters?.writeUnreadable(segment.bad)) ?? null;
        this.#spoolDamaged(segment.bad.length, segment.name, error);
      }
      this.#segment = { name: segment.name, rows: segment.rows, next: 0 };
    }
    const { rows, next } = this.#segment;
    return rows.slice(next, next + batchLength((i) => rows[next + i], maxRows, maxBytes));
  }

  /** The first `count` rows of the last take() are written: moves past them, deleting the segment once all are. */
  async consume(count: number): Promise<void> {
    const s = this.#segment;
    if (s === null) return;
    s.next += count;
    if (s.next >= s.rows.length) {
      this.#segment = null;
      await this.#spool.remove(s.name);
    }
  }
}
