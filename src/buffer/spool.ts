import { mkdir } from 'node:fs/promises';
import type { PageviewRow } from '../sinks/sink.js';
import { AppendOnlyFile } from './append-only-file.js';
import { encodeRow } from './row-codec.js';
import {
  FIRST_SEGMENT, listSegments, readRows, readSegment, removeSegmentFile, segmentData, segmentName, writeSegments, type SegmentFile as Segment, type SegmentRows,
} from './spool-layout.js';
import { WriteGroup } from './write-group.js';

export interface SpoolOptions {
  dir: string;
  /** Disk cap: appends beyond it are refused (the caller counts them as overflow). */
  maxBytes: number;
  /** A segment is closed and a new one started past this size. */
  segmentBytes?: number;
  /** Appends are written and fsynced together at most this long after the first one waits. */
  groupMs?: number;
  /** A write failed (disk full, I/O error): these rows are lost (0: a segment could not be removed). */
  onWriteError?: (err: unknown, rows: number) => void;
  /** A segment's file is gone (deleted by hand): its rows are lost. */
  onSegmentLost?: (err: unknown, segment: string, rows: number) => void;
}

/** The segment appends go to. */
interface Current {
  segment: Segment;
  file: AppendOnlyFile;
}

const DURABLE: Promise<boolean> = Promise.resolve(true);

/**
 * An append-only spool of rows on disk, in numbered NDJSON segments, oldest first. Appends are
 * grouped and fsynced together; the oldest segment is read back whole, written to the database,
 * and deleted only then, so a crash at any point replays it again (row writes are idempotent).
 * A group lands whole or fails whole (AppendOnlyFile); creating or deleting a segment fsyncs the
 * directory, so neither is undone by a crash.
 */
export class Spool {
  readonly #o: Required<SpoolOptions>;
  readonly #segments: Segment[] = [];
  #current: Current | null = null;
  #pending: WriteGroup | null = null;
  // A group write is on the chain and has not taken the pending lines yet.
  #groupQueued = false;
  #timer: NodeJS.Timeout | null = null;
  #writing: Promise<void> = Promise.resolve();
  #rows = 0;
  #bytes = 0;
  #retired = 0;
  // Segment numbers only move outwards, never reused: a name being deleted can never be reopened.
  #next = FIRST_SEGMENT;
  #first = FIRST_SEGMENT;

  private constructor(options: SpoolOptions) {
    this.#o = { segmentBytes: 8 * 1024 * 1024, groupMs: 5, onWriteError: () => {}, onSegmentLost: () => {}, ...options };
  }

  /** Opens the directory (creating it) and takes stock of segments left by an earlier run. */
  static async open(options: SpoolOptions): Promise<Spool> {
    const spool = new Spool(options);
    await mkdir(options.dir, { recursive: true });
    for (const segment of await listSegments(options.dir)) {
      spool.#next = Math.max(spool.#next, segment.number + 1);
      spool.#first = Math.min(spool.#first, segment.number);
      spool.#segments.push(segment);
      spool.#rows += segment.rows;
      spool.#bytes += segment.bytes;
    }
    return spool;
  }

  /** Rows held (on disk or about to be). */
  get rows(): number {
    return this.#rows;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get maxBytes(): number {
    return this.#o.maxBytes;
  }

  /** Every spooled row, oldest first (to warm the session store at start from what the database has not seen). */
  async *readAll(): AsyncGenerator<PageviewRow> {
    await this.settle();
    yield* readRows(this.#o.dir, this.#segments.map((s) => s.name));
  }

  /**
   * Queues rows to be appended. `accepted` is how many fit under the cap (the first ones); the
   * rest are refused. `durable` resolves true once the accepted rows are fsynced, false if the
   * write failed (reported to onWriteError); it never rejects.
   */
  append(rows: readonly PageviewRow[]): { accepted: number; durable: Promise<boolean> } {
    let accepted = 0;
    for (const row of rows) {
      const line = encodeRow(row) + '\n';
      const size = Buffer.byteLength(line);
      if (this.#bytes + size > this.#o.maxBytes) break;
      (this.#pending ??= new WriteGroup()).add(line, size);
      this.#rows++;
      this.#bytes += size;
      accepted++;
    }
    if (this.#pending === null || accepted === 0) return { accepted, durable: DURABLE };
    this.#timer ??= setTimeout(() => this.#flushPending(), this.#o.groupMs);
    return { accepted, durable: this.#pending.durable };
  }

  /**
   * Writes rows to new segments (of at most segmentBytes each) ordered before every other: rows
   * older than all that is spooled. Throws when they could not all be written (and then leaves none).
   */
  async prepend(rows: readonly PageviewRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.settle();
    const chunks = segmentData(rows, this.#o.segmentBytes);
    this.#first -= chunks.length;
    const written = await writeSegments(this.#o.dir, this.#first, chunks);
    this.#segments.unshift(...written);
    this.#rows += rows.length;
    this.#bytes += written.reduce((n, segment) => n + segment.bytes, 0);
  }

  /** Waits until every queued append is on disk. */
  async settle(): Promise<void> {
    this.#writeNow();
    await this.#writing;
  }

  /**
   * The oldest segment's rows, or null when the spool is empty. The segment stays on disk until
   * remove(name). `bad` holds the lines that do not decode (torn by a crash, or damaged on disk),
   * for the caller to dead-letter: the rows around them are returned all the same. A segment whose
   * file is gone is dropped (onSegmentLost); any other read error is thrown (SegmentReadError).
   */
  async oldest(): Promise<({ name: string } & SegmentRows) | null> {
    await this.settle();
    const segment = this.#segments[0];
    if (segment === undefined) return null;
    if (this.#current?.segment === segment) await this.#onChain(() => this.#closeIfCurrent(segment));
    try {
      return { name: segment.name, ...(await readSegment(this.#o.dir, segment.name)) };
    } catch (err) {
      // EIO or EACCES may pass, so the caller retries; a deleted file will not come back, and
      // every row behind it (all new ones, while the spool holds any) would wait for it for ever.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await this.remove(segment.name);
      this.#o.onSegmentLost(err, segment.name, segment.rows);
      return this.oldest();
    }
  }

  /** Deletes a segment whose rows are all written. */
  async remove(name: string): Promise<void> {
    const i = this.#segments.findIndex((s) => s.name === name);
    if (i === -1) return;
    const [segment] = this.#segments.splice(i, 1) as [Segment];
    this.#rows -= segment.rows;
    this.#bytes -= segment.bytes;
    try {
      await removeSegmentFile(this.#o.dir, name);
    } catch (err) {
      // Left on disk, it is replayed at the next start: written rows are skipped by their beacon_id.
      this.#o.onWriteError(err, 0);
    }
  }

  /**
   * Used as a write-ahead log: the oldest `count` rows are now in the database. Deletes every
   * segment all of whose rows are, the open one included.
   */
  async retire(count: number): Promise<void> {
    this.#retired += count;
    this.#writeNow();
    // On the write chain: no append can be half-way into a segment this deletes.
    await this.#onChain(async () => {
      for (let segment = this.#segments[0]; segment !== undefined && segment.rows <= this.#retired; segment = this.#segments[0]) {
        await this.#closeIfCurrent(segment);
        this.#retired -= segment.rows;
        await this.remove(segment.name);
      }
    });
  }

  /**
   * Moves every segment of this spool in front of `other`'s (start-up: a WAL left by a crash
   * becomes spool). Returns how many rows moved, and the lines that did not decode (not moved):
   * a line torn by a crash was never acknowledged, but one damaged on disk was. `keepBad` gets
   * each segment's such lines (newest segment first) and is awaited before the segment is removed:
   * a crash in between finds it again at the next start, its rows moved twice but written once.
   */
  async moveBefore(other: Spool, keepBad: (lines: string[]) => Promise<void> = async () => {}): Promise<{ moved: number; bad: string[] }> {
    await this.settle();
    await this.#onChain(() => this.#closeCurrent());
    let moved = 0;
    const bad: string[][] = [];
    for (const segment of [...this.#segments].reverse()) {
      const read = await readSegment(this.#o.dir, segment.name);
      await other.prepend(read.rows);
      if (read.bad.length > 0) await keepBad(read.bad);
      await this.remove(segment.name);
      moved += read.rows.length;
      bad.unshift(read.bad);
    }
    this.#retired = 0;
    return { moved, bad: bad.flat() };
  }

  async close(): Promise<void> {
    await this.settle();
    await this.#onChain(() => this.#closeCurrent());
  }

  /**
   * Runs `fn` on the write chain, after every write queued so far and before any queued later;
   * a failure is reported, never left to break the chain for the appends after it.
   */
  #onChain(fn: () => Promise<void>): Promise<void> {
    this.#writing = this.#writing.then(fn).catch((err: unknown) => this.#o.onWriteError(err, 0));
    return this.#writing;
  }

  async #closeIfCurrent(segment: Segment): Promise<void> {
    if (this.#current?.segment === segment) await this.#closeCurrent();
  }

  /** The pending group is written now, not at its timer. */
  #writeNow(): void {
    if (this.#timer === null) return;
    clearTimeout(this.#timer);
    this.#flushPending();
  }

  #flushPending(): void {
    this.#timer = null;
    // One group write waits on the chain at a time, and it takes what is pending when its turn
    // comes: appends made during a slow fsync join the next write instead of queueing a write (and
    // its lines) each per timer tick, which under load grew the heap without bound.
    if (this.#groupQueued) return;
    this.#groupQueued = true;
    // Writes are chained: one at a time, in order.
    this.#writing = this.#writing.then(async () => {
      this.#groupQueued = false;
      const group = this.#pending;
      this.#pending = null;
      if (group === null) return;
      const { rows, bytes } = group;
      let current: Current | null = null;
      try {
        current = await this.#currentSegment();
        await current.file.append(Buffer.from(group.lines.join('')));
      } catch (err) {
        if (current !== null) await this.#abandon(current);
        this.#rows -= rows;
        this.#bytes -= bytes;
        // Used as a WAL, these rows are in no segment, yet they will be retired as written: count
        // them as retired already, so no segment is deleted before its own rows are written.
        this.#retired -= rows;
        this.#o.onWriteError(err, rows);
        group.settle(false);
        return;
      }
      current.segment.rows += rows;
      current.segment.bytes += bytes;
      group.settle(true);
      if (current.segment.bytes >= this.#o.segmentBytes) await this.#closeCurrent().catch((err: unknown) => this.#o.onWriteError(err, 0));
    });
  }

  async #currentSegment(): Promise<Current> {
    if (this.#current !== null) return this.#current;
    const number = this.#next++;
    const segment: Segment = { name: segmentName(number), number, rows: 0, bytes: 0 };
    const file = await AppendOnlyFile.create(this.#o.dir, segment.name);
    this.#segments.push(segment);
    this.#current = { segment, file };
    return this.#current;
  }

  /**
   * After a failed write the segment is closed, whether it was cut back or ends in a torn line:
   * the next group starts a new one, so nothing is ever appended behind a torn line.
   */
  async #abandon(current: Current): Promise<void> {
    if (this.#current === current) this.#current = null;
    await current.file.close().catch(() => {});
    if (current.segment.rows === 0) await this.remove(current.segment.name);
  }

  async #closeCurrent(): Promise<void> {
    const current = this.#current;
    this.#current = null;
    if (current !== null) await current.file.close();
  }
}
