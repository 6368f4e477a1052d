import { SinkRejectedError, type PageviewRow, type Sink } from '../sinks/sink.js';
import type { DeadLetters } from './dead-letters.js';
import { latestSessions } from './latest-sessions.js';

/** What the splitter reports (a part of WriterEvents). */
export interface RefusalEvents {
  /**
   * The database refused `row` (`error`). `kept`: it is in the dead-letter file; if not, it was past
   * DEAD_LETTER_MAX_BYTES, or the file could not be written (`writeError`, else null).
   */
  deadLettered(error: unknown, row: PageviewRow, kept: boolean, writeError: unknown): void;
  /** The database refused the session snapshot `row` carries, and stored the row without it. */
  sessionRefused?(error: unknown, row: PageviewRow): void;
}

/**
 * Writes a batch; when the database refuses it, splits it in halves down to single rows and
 * dead-letters the ones it refuses, so one bad row costs ~2·log₂N statements, not the batch. A
 * refused row that carries a session snapshot is tried once more without it: a session the
 * database will not take must not cost the beacon too.
 * Remembers what it dead-lettered until clear(): a batch retried after an outage cut its split
 * short must not dead-letter the same row twice.
 */
export class RefusalSplitter {
  readonly #sink: Sink;
  readonly #deadLetters: DeadLetters | null;
  readonly #events: RefusalEvents;
  // Beacon ids of the current batch already written to the dead-letter file.
  readonly #deadLettered = new Set<string>();

  constructor(sink: Sink, deadLetters: DeadLetters | null, events: RefusalEvents) {
    this.#sink = sink;
    this.#deadLetters = deadLetters;
    this.#events = events;
  }

  /** The batch is done with (written): forget what was dead-lettered from it. */
  clear(): void {
    this.#deadLettered.clear();
  }

  /**
   * Resolves with how many rows the database took; throws when the sink is unavailable (rows
   * kept by the caller, who retries the same batch).
   */
  async write(rows: PageviewRow[]): Promise<number> {
    // Rows already dead-lettered by an earlier attempt at this batch (then cut short by an outage).
    if (this.#deadLettered.size > 0) rows = rows.filter((r) => !this.#deadLettered.has(r.beaconId.toString('hex')));
    if (rows.length === 0) return 0;
    try {
      await this.#sink.writeBatch({ rows, sessions: latestSessions(rows) });
      return rows.length;
    } catch (err) {
      if (!(err instanceof SinkRejectedError)) throw err;
      if (rows.length === 1) return this.#refused(rows[0] as PageviewRow, err);
      const mid = rows.length >> 1;
      return (await this.write(rows.slice(0, mid))) + (await this.write(rows.slice(mid)));
    }
  }

  /** One row the database refused: written without its session if that is what it refused, else dead-lettered. */
  async #refused(row: PageviewRow, err: SinkRejectedError): Promise<number> {
    if (row.session !== null) {
      try {
        await this.#sink.writeBatch({ rows: [row], sessions: [] });
        this.#events.sessionRefused?.(err, row);
        return 1;
      } catch (alone) {
        if (!(alone instanceof SinkRejectedError)) throw alone;
        err = alone; // the row's own reason is the one worth keeping
      }
    }
    this.#deadLettered.add(row.beaconId.toString('hex'));
    let kept = false;
    let writeError: unknown = null;
    try {
      kept = (await this.#deadLetters?.write(row, err)) ?? false;
    } catch (e) {
      // Not a reason to stall the writer: the row is refused either way; the log line keeps it.
      writeError = e;
    }
    this.#events.deadLettered(err, row, kept, writeError);
    return 0;
  }
}
