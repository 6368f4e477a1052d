import type { PageviewRow, Sink } from '../sinks/sink.js';
import { latestSessions } from './latest-sessions.js';
import { RingBuffer } from './ring-buffer.js';

/** What the writer reports; the metrics plugin turns it into counters, histograms and logs. */
export interface WriterEvents {
  flushed(rows: number, seconds: number): void;
  flushFailed(error: unknown, rows: number): void;
}

export interface BatchWriterOptions {
  sink: Sink;
  capacity: number;
  /** Flush as soon as this many rows wait (a trigger, not a cap on the statement). */
  flushMaxRows: number;
  /** Flush at least this often while rows wait. */
  flushIntervalMs: number;
  /** Largest batch in one statement, in rows and in approximate bytes (max_allowed_packet is 16 MiB). */
  maxBatchRows?: number;
  maxBatchBytes?: number;
  events: WriterEvents;
}

export interface DrainResult {
  written: number;
  left: number;
}

const DEFAULT_MAX_BATCH_ROWS = 1000;
const DEFAULT_MAX_BATCH_BYTES = 4 * 1024 * 1024;
// Pause between attempts while draining at shutdown with the database failing.
const DRAIN_RETRY_MS = 250;

/**
 * Holds accepted rows in a ring buffer and writes them to the sink in batches: when
 * `flushMaxRows` wait, or every `flushIntervalMs`. One flush at a time; a failed flush keeps its
 * rows at the head of the buffer for the next attempt.
 */
export class BatchWriter {
  readonly #ring: RingBuffer<PageviewRow>;
  readonly #o: Required<BatchWriterOptions>;
  #inFlight: Promise<boolean> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #written = 0;
  // After a failed flush only the timer retries, so a dead database is not hit at request rate.
  #failing = false;

  constructor(options: BatchWriterOptions) {
    this.#o = {
      maxBatchRows: Math.max(options.flushMaxRows, DEFAULT_MAX_BATCH_ROWS),
      maxBatchBytes: DEFAULT_MAX_BATCH_BYTES,
      ...options,
    };
    this.#ring = new RingBuffer(options.capacity);
  }

  get size(): number {
    return this.#ring.size;
  }

  get capacity(): number {
    return this.#ring.capacity;
  }

  /** Rows written since start. */
  get written(): number {
    return this.#written;
  }

  /** Arms the interval timer. */
  start(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => this.#onTimer(), this.#o.flushIntervalMs).unref();
  }

  /** Stops the timer; rows stay buffered (drain() writes them). */
  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** Queues a row; false when the buffer is full (the caller counts the overflow). */
  push(row: PageviewRow): boolean {
    if (!this.#ring.push(row)) return false;
    if (this.#ring.size >= this.#o.flushMaxRows && this.#inFlight === null && !this.#failing) void this.flush();
    return true;
  }

  /**
   * Writes one batch from the head of the buffer. Resolves true when it was written (or there
   * was nothing to write), false when the sink failed; never rejects. While a flush is in flight,
   * returns that flush.
   */
  flush(): Promise<boolean> {
    if (this.#inFlight) return this.#inFlight;
    if (this.#ring.size === 0) return Promise.resolve(true);
    this.#inFlight = this.#flushOnce().finally(() => {
      this.#inFlight = null;
      // Rows that arrived during the flush may already make a full batch.
      if (this.#ring.size >= this.#o.flushMaxRows && this.#timer !== null && !this.#failing) void this.flush();
    });
    return this.#inFlight;
  }

  /**
   * Flushes until the buffer is empty or `timeoutMs` has passed, retrying failed flushes.
   * Resolves with how many rows it wrote and how many are left.
   */
  async drain(timeoutMs: number): Promise<DrainResult> {
    const deadline = Date.now() + timeoutMs;
    const before = this.#written;
    if (this.#inFlight) await this.#inFlight;
    while (this.#ring.size > 0 && Date.now() < deadline) {
      const ok = await this.flush();
      if (!ok) await new Promise((r) => setTimeout(r, Math.min(DRAIN_RETRY_MS, Math.max(0, deadline - Date.now()))));
    }
    return { written: this.#written - before, left: this.#ring.size };
  }

  #onTimer(): void {
    const next = (): void => {
      if (this.#timer) this.#timer.refresh();
    };
    if (this.#ring.size === 0) return next();
    this.flush().then(next, next);
  }

  #takeBatch(): PageviewRow[] {
    const { maxBatchRows, maxBatchBytes } = this.#o;
    let rows = 0;
    let bytes = 0;
    for (let row = this.#ring.at(0); row !== undefined && rows < maxBatchRows; row = this.#ring.at(rows)) {
      if (rows > 0 && bytes + row.approxBytes > maxBatchBytes) break;
      bytes += row.approxBytes;
      rows++;
    }
    return this.#ring.peek(rows);
  }

  async #flushOnce(): Promise<boolean> {
    const batch = this.#takeBatch();
    const started = process.hrtime.bigint();
    try {
      await this.#o.sink.writeBatch({ rows: batch, sessions: latestSessions(batch) });
    } catch (err) {
      this.#failing = true;
      this.#o.events.flushFailed(err, batch.length);
      return false;
    }
    this.#failing = false;
    // Only the rows just written leave the buffer; pushes during the flush went behind them.
    this.#ring.drop(batch.length);
    this.#written += batch.length;
    this.#o.events.flushed(batch.length, Number(process.hrtime.bigint() - started) / 1e9);
    return true;
  }
}
