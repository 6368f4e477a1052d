import { setTimeout as sleep } from 'node:timers/promises';
import type { PageviewRow, Sink } from '../sinks/sink.js';
import { backoffDelay } from './backoff-delay.js';
import type { DeadLetters } from './dead-letters.js';
import { MemoryBuffer } from './memory-buffer.js';
import { RefusalSplitter, type RefusalEvents } from './refusal-splitter.js';
import { SpoolReplay } from './spool-replay.js';
import type { Spool } from './spool.js';
import { TIMED_OUT, within } from './within.js';

/** What the writer reports; the metrics plugin turns it into counters, histograms and logs. */
export interface WriterEvents extends RefusalEvents {
  flushed(rows: number, seconds: number): void;
  flushFailed(error: unknown, rows: number, retryInMs: number): void;
  /** Lines of a spool or WAL (`source`) that do not decode, dead-lettered; `error`: why they could not be (else null). */
  spoolDamaged(lines: number, source: string, error: unknown): void;
}

export interface BatchWriterOptions {
  sink: Sink;
  capacity: number;
  /** BUFFER_MAX_BYTES: estimated heap bytes the rows in memory may take (unbounded if unset). */
  maxBytes?: number;
  /** Flush as soon as this many rows wait (a trigger, not a cap on the statement). */
  flushMaxRows: number;
  /** Flush at least this often while rows wait. */
  flushIntervalMs: number;
  /** Where rows go once the ring is full (by count or bytes), and what is left at shutdown; null: nowhere (dropped). */
  spool: Spool | null;
  /** Where rows the database refuses go. */
  deadLetters: DeadLetters | null;
  /** BUFFER_DURABILITY=disk: every row taken into the ring is first appended here (fsynced in groups). */
  wal?: Spool | null;
  events: WriterEvents;
  /** Largest batch in one statement, in rows and in approximate bytes (max_allowed_packet is 16 MiB). */
  maxBatchRows?: number;
  maxBatchBytes?: number;
  /** Retry delays after a failed flush: exponential from the first, capped, with jitter. */
  retryBaseMs?: number;
  retryMaxMs?: number;
}

export interface DrainResult {
  written: number;
  left: number;
}

const DEFAULT_MAX_BATCH_ROWS = 1000;
const DEFAULT_MAX_BATCH_BYTES = 4 * 1024 * 1024;

/** A batch and where it came from, so a successful write removes exactly it. */
interface Batch { rows: PageviewRow[]; from: 'ring' | 'spool' }

/**
 * Holds accepted rows and writes them to the sink in batches: when `flushMaxRows` wait, or every
 * `flushIntervalMs`. One flush at a time. Rows live in a ring buffer; once it is full they go to
 * the spool on disk, and so do all later rows while the spool holds any, so order is kept: the
 * ring is written first, then the spool's segments, oldest first.
 *
 * A flush that fails for a transient reason keeps its rows and is retried with capped exponential
 * backoff and jitter. One the database refuses is split in halves until the refused rows are
 * found; those go to the dead-letter file and the rest are written. Writes are idempotent (unique
 * beacon_id, absolute session values), so retrying after an unknown outcome never duplicates.
 */
export class BatchWriter {
  readonly #ring: MemoryBuffer;
  readonly #o: Required<BatchWriterOptions>;
  #inFlight: Promise<boolean> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #retryTimer: NodeJS.Timeout | null = null;
  #attempt = 0;
  #written = 0;
  readonly #replay: SpoolReplay | null;
  readonly #splitter: RefusalSplitter;
  // The last appends' fsyncs: what waitDurable() waits for.
  #walDurable: Promise<boolean> = Promise.resolve(true);
  #spoolDurable: Promise<boolean> = Promise.resolve(true);

  constructor(options: BatchWriterOptions) {
    this.#o = {
      maxBatchRows: Math.max(options.flushMaxRows, DEFAULT_MAX_BATCH_ROWS),
      maxBatchBytes: DEFAULT_MAX_BATCH_BYTES,
      retryBaseMs: 200,
      retryMaxMs: 30_000,
      wal: null,
      maxBytes: Number.POSITIVE_INFINITY,
      ...options,
    };
    this.#ring = new MemoryBuffer(options.capacity, this.#o.maxBytes);
    const { spool, deadLetters, events } = options;
    this.#replay = spool === null ? null : new SpoolReplay(spool, deadLetters, (...a) => events.spoolDamaged(...a));
    this.#splitter = new RefusalSplitter(options.sink, deadLetters, events);
  }

  /** Rows waiting in memory. */
  get size(): number {
    return this.#ring.size;
  }

  get capacity(): number {
    return this.#ring.capacity;
  }

  /** Estimated heap bytes of the rows in memory (at most about BUFFER_MAX_BYTES). */
  get bytes(): number {
    return this.#ring.bytes;
  }

  /** Rows waiting on disk. */
  get spooled(): number {
    return this.#o.spool?.rows ?? 0;
  }

  /** Bytes the spool holds. */
  get spooledBytes(): number {
    return this.#o.spool?.bytes ?? 0;
  }

  /** Every spooled row, oldest first (see Spool.readAll). */
  spooledRows(): AsyncGenerator<PageviewRow> {
    return this.#o.spool?.readAll() ?? (async function* () {})();
  }

  /** Rows written since start. */
  get written(): number {
    return this.#written;
  }

  /** True while the last flush failed and a retry is scheduled. */
  get failing(): boolean {
    return this.#attempt > 0;
  }

  /** Arms the interval timer; starts replaying a spool left by an earlier run. */
  start(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => this.#onTimer(), this.#o.flushIntervalMs).unref();
    if (this.spooled > 0) void this.flush();
  }

  /** Stops the timers; rows stay buffered (drain() writes them, spill() spools them). */
  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#timer = null;
    this.#retryTimer = null;
  }

  /** Whether push() would take a row now (the spool's byte cap is approximate: a row may still not fit). */
  hasRoom(): boolean {
    const spool = this.#o.spool;
    return (this.#ring.hasRoom() && (spool === null || spool.rows === 0)) || (spool !== null && spool.bytes < spool.maxBytes);
  }

  /**
   * Takes a row: into the ring, or onto the spool once the ring is full (by count or bytes) or
   * while the spool holds rows. False when neither has room (the caller counts the overflow).
   */
  push(row: PageviewRow): boolean {
    const spool = this.#o.spool;
    if ((spool === null || spool.rows === 0) && this.#ring.push(row)) {
      // The WAL holds the ring's rows in the ring's order, so written rows retire its head.
      if (this.#o.wal !== null) this.#walDurable = this.#o.wal.append([row]).durable;
      if (this.#ring.size >= this.#o.flushMaxRows && this.#inFlight === null && this.#attempt === 0) void this.flush();
      return true;
    }
    if (spool === null) return false;
    const { accepted, durable } = spool.append([row]);
    if (accepted === 1) this.#spoolDurable = durable;
    return accepted === 1;
  }

  /** Resolves once every row taken so far is on disk (BUFFER_DURABILITY=disk); false if a write failed. */
  async waitDurable(): Promise<boolean> {
    const [wal, spool] = await Promise.all([this.#walDurable, this.#spoolDurable]);
    return wal && spool;
  }

  /**
   * Writes one batch. Resolves true when it was written (or there was nothing to write), false
   * when the sink was unavailable; never rejects. While a flush is in flight, returns that one.
   */
  flush(): Promise<boolean> {
    if (this.#inFlight) return this.#inFlight;
    if (this.#ring.size === 0 && this.spooled === 0) return Promise.resolve(true);
    this.#inFlight = this.#flushOnce().finally(() => {
      this.#inFlight = null;
      // More than a batch waiting, or a spool to replay: go on at once (not while backing off, not after stop()).
      if (this.#timer !== null && this.#attempt === 0 && (this.#ring.size >= this.#o.flushMaxRows || (this.#ring.size === 0 && this.spooled > 0))) {
        void this.flush();
      }
    });
    return this.#inFlight;
  }

  /**
   * Flushes until nothing is buffered (ring and spool) or `timeoutMs` has passed, retrying failed
   * flushes. Resolves with how many rows it wrote and how many are left in the ring.
   */
  async drain(timeoutMs: number): Promise<DrainResult> {
    const deadline = Date.now() + timeoutMs;
    const left = () => Math.max(0, deadline - Date.now());
    const before = this.#written;
    // Every wait is bounded by the deadline: a flush that hangs must not eat the time the spill
    // after this needs (close-with-grace exits hard a few seconds later).
    if (this.#inFlight) await within(this.#inFlight, left());
    while ((this.#ring.size > 0 || this.spooled > 0) && left() > 0) {
      const ok = await within(this.flush(), left());
      if (ok === TIMED_OUT) break;
      if (!ok) await within(sleep(backoffDelay(this.#attempt, this.#o.retryBaseMs, this.#o.retryMaxMs), undefined, { ref: false }), left());
    }
    return { written: this.#written - before, left: this.#ring.size };
  }

  /** Moves what is left in the ring to the spool (shutdown with the database away); returns how many rows. */
  async spill(): Promise<number> {
    const spool = this.#o.spool;
    if (spool === null || this.#ring.size === 0) return 0;
    // Not waiting for a flush still in flight: if it commits after all, replaying these rows is a no-op.
    const rows = this.#ring.peekAll();
    // The ring's rows are older than anything spooled: they go before it.
    await spool.prepend(rows);
    this.#ring.drop(rows);
    await this.#o.wal?.retire(rows.length); // spooled now: the WAL no longer needs them
    return rows.length;
  }

  #onTimer(): void {
    const next = (): void => {
      if (this.#timer) this.#timer.refresh();
    };
    // While backing off, the retry timer owns the next attempt.
    if (this.#attempt > 0 || (this.#ring.size === 0 && this.spooled === 0)) return next();
    this.flush().then(next, next);
  }

  async #takeBatch(): Promise<Batch | null> {
    const { maxBatchRows, maxBatchBytes } = this.#o;
    if (this.#ring.size > 0) return { rows: this.#ring.peekBatch(maxBatchRows, maxBatchBytes), from: 'ring' };
    const rows = await this.#replay?.take(maxBatchRows, maxBatchBytes);
    return rows == null ? null : { rows, from: 'spool' };
  }

  async #flushOnce(): Promise<boolean> {
    let batch: Batch | null;
    try {
      batch = await this.#takeBatch();
    } catch (err) {
      this.#failed(err, 0);
      return false;
    }
    if (batch === null) return true;
    const started = process.hrtime.bigint();
    let written: number;
    try {
      written = await this.#splitter.write(batch.rows);
    } catch (err) {
      this.#failed(err, batch.rows.length);
      return false;
    }
    this.#attempt = 0;
    this.#splitter.clear();
    try {
      await this.#consume(batch);
    } catch (err) {
      // The rows are written; a segment that cannot be deleted is replayed harmlessly at the next start.
      this.#o.events.flushFailed(err, 0, 0);
    }
    // Only what the database took: dead-lettered rows are counted as such, not as written.
    this.#written += written;
    this.#o.events.flushed(written, Number(process.hrtime.bigint() - started) / 1e9);
    return true;
  }

  /** Removes a written batch from where it came from. */
  async #consume(batch: Batch): Promise<void> {
    if (batch.from === 'ring') {
      // Only the rows just written leave the ring; pushes during the flush went behind them.
      this.#ring.drop(batch.rows);
      await this.#o.wal?.retire(batch.rows.length);
      return;
    }
    await this.#replay?.consume(batch.rows.length);
  }

  #failed(err: unknown, rows: number): void {
    this.#attempt++;
    const delay = backoffDelay(this.#attempt, this.#o.retryBaseMs, this.#o.retryMaxMs);
    this.#o.events.flushFailed(err, rows, delay);
    if (this.#timer === null) return; // stopped: drain() paces its own retries
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      void this.flush();
    }, delay).unref();
  }
}
