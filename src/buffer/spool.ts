import { mkdir, open, readdir, readFile, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { PageviewRow } from '../sinks/sink.js';
import { decodeRow, encodeRow } from './row-codec.js';

export interface SpoolOptions {
  dir: string;
  /** Disk cap: appends beyond it are refused (the caller counts them as overflow). */
  maxBytes: number;
  /** A segment is closed and a new one started past this size. */
  segmentBytes?: number;
  /** Appends are written and fsynced together at most this long after the first one waits. */
  groupMs?: number;
  /** A write failed (disk full, I/O error): these rows are lost. */
  onWriteError?: (err: unknown, rows: number) => void;
}

interface Segment {
  name: string;
  rows: number;
  bytes: number;
}

const SEGMENT = /^(\d{12})\.ndjson$/;
const DURABLE: Promise<boolean> = Promise.resolve(true);
// Segment numbers start high so that a segment can be put before all others (prepend) by counting down.
const WORKER_DIR = /^worker-\d+$/;

/** Where worker N of a cluster (WORKERS>1) keeps its spool, under the configured spool directory. */
export function workerSpoolDir(root: string, index: number): string {
  return join(root, `worker-${index}`);
}

/** The `worker-N` spool directories under a spool directory (none when it does not exist). */
export async function workerSpoolDirs(root: string): Promise<string[]> {
  try {
    return (await readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory() && WORKER_DIR.test(e.name)).map((e) => join(root, e.name));
  } catch {
    return [];
  }
}

/** Whether a directory holds spool segments (false when it does not exist). */
export async function holdsSegments(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).some((n) => SEGMENT.test(n));
  } catch {
    return false;
  }
}

/** Whether rows wait anywhere under a spool directory: its own segments, its WAL's, or a worker's. */
export async function holdsSpooledRows(root: string): Promise<boolean> {
  for (const dir of [root, ...(await workerSpoolDirs(root))]) {
    if ((await holdsSegments(dir)) || (await holdsSegments(join(dir, 'wal')))) return true;
  }
  return false;
}

const FIRST_SEGMENT = 500_000_000_000;

/**
 * An append-only spool of rows on disk, in numbered NDJSON segments, oldest first. Appends are
 * grouped and fsynced together; the oldest segment is read back whole, written to the database,
 * and deleted only then, so a crash at any point replays it again (row writes are idempotent).
 */
export class Spool {
  readonly #o: Required<SpoolOptions>;
  readonly #segments: Segment[] = [];
  #current: { segment: Segment; handle: FileHandle } | null = null;
  #pending: string[] = [];
  #pendingRows = 0;
  #pendingBytes = 0;
  // One promise per fsync group, shared by every append in it (not one per row: less garbage at 50k rows/s).
  #group: { promise: Promise<boolean>; resolve: (ok: boolean) => void } | null = null;
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
    this.#o = { segmentBytes: 8 * 1024 * 1024, groupMs: 5, onWriteError: () => {}, ...options };
  }

  /** Opens the directory (creating it) and takes stock of segments left by an earlier run. */
  static async open(options: SpoolOptions): Promise<Spool> {
    const spool = new Spool(options);
    await mkdir(options.dir, { recursive: true });
    const names = (await readdir(options.dir)).filter((n) => SEGMENT.test(n)).sort();
    for (const name of names) {
      const path = join(options.dir, name);
      const { size } = await stat(path);
      if (size === 0) {
        await rm(path, { force: true });
        continue;
      }
      const rows = countLines(await readFile(path));
      const n = Number(name.slice(0, 12));
      spool.#next = Math.max(spool.#next, n + 1);
      spool.#first = Math.min(spool.#first, n);
      spool.#segments.push({ name, rows, bytes: size });
      spool.#rows += rows;
      spool.#bytes += size;
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
    for (const segment of [...this.#segments]) {
      let text: string;
      try {
        text = (await readFile(join(this.#o.dir, segment.name))).toString('utf8');
      } catch {
        continue; // removed meanwhile: written
      }
      for (const line of text.split('\n')) {
        if (line === '') continue;
        try {
          yield decodeRow(line);
        } catch {
          // a torn line: skipped here, reported when the segment is replayed
        }
      }
    }
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
      this.#pending.push(line);
      this.#pendingRows++;
      this.#pendingBytes += size;
      this.#rows++;
      this.#bytes += size;
      accepted++;
    }
    if (accepted === 0) return { accepted, durable: DURABLE };
    if (this.#group === null) {
      let resolve: (ok: boolean) => void = () => {};
      const promise = new Promise<boolean>((r) => (resolve = r));
      this.#group = { promise, resolve };
    }
    this.#timer ??= setTimeout(() => this.#flushPending(), this.#o.groupMs);
    return { accepted, durable: this.#group.promise };
  }

  /** Writes rows to a new segment ordered before every other: rows older than all that is spooled. */
  async prepend(rows: readonly PageviewRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.settle();
    const segment: Segment = { name: segmentName(--this.#first), rows: rows.length, bytes: 0 };
    const text = rows.map((r) => encodeRow(r) + '\n').join('');
    segment.bytes = Buffer.byteLength(text);
    const handle = await open(join(this.#o.dir, segment.name), 'a');
    try {
      await handle.writeFile(text);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    this.#segments.unshift(segment);
    this.#rows += segment.rows;
    this.#bytes += segment.bytes;
  }

  /** Waits until every queued append is on disk. */
  async settle(): Promise<void> {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#flushPending();
    }
    await this.#writing;
  }

  /**
   * The oldest segment's rows, or null when the spool is empty. The segment stays on disk until
   * remove(name); lines that do not decode (a torn last write) are skipped and reported.
   */
  async oldest(): Promise<{ name: string; rows: PageviewRow[]; skipped: number } | null> {
    await this.settle();
    const segment = this.#segments[0];
    if (segment === undefined) return null;
    if (this.#current?.segment === segment) await this.#onChain(() => this.#closeIfCurrent(segment));
    const text = (await readFile(join(this.#o.dir, segment.name))).toString('utf8');
    const rows: PageviewRow[] = [];
    let skipped = 0;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      try {
        rows.push(decodeRow(line));
      } catch {
        skipped++;
      }
    }
    return { name: segment.name, rows, skipped };
  }

  /** Deletes a segment whose rows are all written. */
  async remove(name: string): Promise<void> {
    const i = this.#segments.findIndex((s) => s.name === name);
    if (i === -1) return;
    const [segment] = this.#segments.splice(i, 1) as [Segment];
    this.#rows -= segment.rows;
    this.#bytes -= segment.bytes;
    try {
      await rm(join(this.#o.dir, name), { force: true });
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
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#flushPending();
    }
    // On the write chain: no append can be half-way into a segment this deletes.
    await this.#onChain(async () => {
      for (let segment = this.#segments[0]; segment !== undefined && segment.rows <= this.#retired; segment = this.#segments[0]) {
        await this.#closeIfCurrent(segment);
        this.#retired -= segment.rows;
        await this.remove(segment.name);
      }
    });
  }

  /** Moves every segment of this spool in front of `other`'s (start-up: a WAL left by a crash becomes spool). */
  async moveBefore(other: Spool): Promise<number> {
    await this.settle();
    await this.#onChain(() => this.#closeCurrent());
    let moved = 0;
    for (const segment of [...this.#segments].reverse()) {
      const rows: PageviewRow[] = [];
      const text = (await readFile(join(this.#o.dir, segment.name))).toString('utf8');
      for (const line of text.split('\n')) {
        if (line === '') continue;
        try {
          rows.push(decodeRow(line));
        } catch {
          // a line torn by the crash: it was never acknowledged
        }
      }
      await other.prepend(rows);
      await this.remove(segment.name);
      moved += rows.length;
    }
    this.#retired = 0;
    return moved;
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
      const lines = this.#pending;
      const rows = this.#pendingRows;
      const bytes = this.#pendingBytes;
      const group = this.#group;
      this.#pending = [];
      this.#pendingRows = 0;
      this.#pendingBytes = 0;
      this.#group = null;
      if (lines.length === 0) {
        group?.resolve(true);
        return;
      }
      try {
        const current = await this.#currentSegment();
        await current.handle.write(lines.join(''));
        await current.handle.datasync();
        current.segment.rows += rows;
        current.segment.bytes += bytes;
        if (current.segment.bytes >= this.#o.segmentBytes) await this.#closeCurrent();
        group?.resolve(true);
      } catch (err) {
        this.#rows -= rows;
        this.#bytes -= bytes;
        // Used as a WAL, these rows are in no segment, yet they will be retired as written: count
        // them as retired already, so no segment is deleted before its own rows are written.
        this.#retired -= rows;
        this.#o.onWriteError(err, rows);
        group?.resolve(false);
      }
    });
  }

  async #currentSegment(): Promise<{ segment: Segment; handle: FileHandle }> {
    if (this.#current !== null) return this.#current;
    const segment: Segment = { name: segmentName(this.#next++), rows: 0, bytes: 0 };
    const handle = await open(join(this.#o.dir, segment.name), 'a');
    this.#segments.push(segment);
    this.#current = { segment, handle };
    return this.#current;
  }

  async #closeCurrent(): Promise<void> {
    const current = this.#current;
    this.#current = null;
    if (current !== null) await current.handle.close();
  }
}

function segmentName(n: number): string {
  return String(n).padStart(12, '0') + '.ndjson';
}

function countLines(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++;
  return n;
}
