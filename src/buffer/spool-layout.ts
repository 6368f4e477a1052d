// The spool's files on disk: where a spool lives, what its segments are called, reading and writing them.
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { PageviewRow } from '../sinks/sink.js';
import { AppendOnlyFile } from './append-only-file.js';
import { decodeRow, encodeRow } from './row-codec.js';
import { syncDir } from './sync-dir.js';

const SEGMENT = /^(\d{12})\.ndjson$/;
const WORKER_DIR = /^worker-\d+$/;

/** Segment numbers start high so that a segment can be put before all others (prepend) by counting down. */
export const FIRST_SEGMENT = 500_000_000_000;

/** A segment file: its number orders it among the others, oldest first. */
export interface SegmentFile {
  name: string;
  number: number;
  /** Lines, each a row unless it turns out not to decode when read. */
  rows: number;
  bytes: number;
}

/** A segment's rows, and the raw text of its lines that do not decode. */
export interface SegmentRows {
  rows: PageviewRow[];
  bad: string[];
}

/** A segment file that could not be read. `code` is the system's: ENOENT, it is gone. */
export class SegmentReadError extends Error {
  readonly code: string | undefined;

  constructor(readonly segment: string, path: string, cause: unknown) {
    // Named here: some errors (EIO, EISDIR) name no path, and the writer retries and logs this one.
    super(`spool segment ${path} could not be read: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'SegmentReadError';
    this.code = (cause as NodeJS.ErrnoException | null)?.code;
  }
}

export function segmentName(n: number): string {
  return String(n).padStart(12, '0') + '.ndjson';
}

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

/** The segments in a directory, oldest first. Empty ones (a crash before their first write) are removed. */
export async function listSegments(dir: string): Promise<SegmentFile[]> {
  const segments: SegmentFile[] = [];
  let removed = false;
  for (const name of (await readdir(dir)).filter((n) => SEGMENT.test(n)).sort()) {
    const path = join(dir, name);
    const { size } = await stat(path);
    if (size === 0) {
      await rm(path, { force: true });
      removed = true;
      continue;
    }
    segments.push({ name, number: Number(name.slice(0, 12)), rows: countLines(await readFile(path)), bytes: size });
  }
  if (removed) await syncDir(dir);
  return segments;
}

/** A segment file's rows, and its lines that do not decode (throws SegmentReadError if it cannot be read). */
export async function readSegment(dir: string, name: string): Promise<SegmentRows> {
  const out: SegmentRows = { rows: [], bad: [] };
  let data: Buffer;
  try {
    data = await readFile(join(dir, name));
  } catch (err) {
    throw new SegmentReadError(name, join(dir, name), err);
  }
  for (const line of data.toString('utf8').split('\n')) {
    if (line === '') continue;
    try {
      out.rows.push(decodeRow(line));
    } catch {
      out.bad.push(line);
    }
  }
  return out;
}

/** The rows of these segments in turn; one that cannot be read is skipped (removed meanwhile: written). */
export async function* readRows(dir: string, names: readonly string[]): AsyncGenerator<PageviewRow> {
  for (const name of names) {
    let rows: PageviewRow[];
    try {
      // Lines that do not decode are left to the replay, which dead-letters and reports them.
      ({ rows } = await readSegment(dir, name));
    } catch {
      continue;
    }
    yield* rows;
  }
}

/**
 * Rows as the contents of segment files, in order, each at most `maxBytes` (or one row larger than
 * that): a segment is read back whole, as one string, which V8 caps at about 512 MiB.
 */
export function segmentData(rows: readonly PageviewRow[], maxBytes: number): { data: Buffer; rows: number }[] {
  const out: { data: Buffer; rows: number }[] = [];
  let lines: string[] = [];
  let bytes = 0;
  for (const row of rows) {
    const line = encodeRow(row) + '\n';
    const size = Buffer.byteLength(line);
    if (lines.length > 0 && bytes + size > maxBytes) {
      out.push({ data: Buffer.from(lines.join('')), rows: lines.length });
      lines = [];
      bytes = 0;
    }
    lines.push(line);
    bytes += size;
  }
  if (lines.length > 0) out.push({ data: Buffer.from(lines.join('')), rows: lines.length });
  return out;
}

/** Writes `chunks` as new segments numbered up from `first`, each durably: all of them, or throws and leaves none. */
export async function writeSegments(dir: string, first: number, chunks: readonly { data: Buffer; rows: number }[]): Promise<SegmentFile[]> {
  const written: SegmentFile[] = [];
  try {
    for (const [i, { data, rows }] of chunks.entries()) {
      const segment: SegmentFile = { name: segmentName(first + i), number: first + i, rows, bytes: data.length };
      await AppendOnlyFile.write(dir, segment.name, data);
      written.push(segment);
    }
  } catch (err) {
    // The caller is told none of these rows are spooled, and keeps (or counts) them all as such.
    for (const s of written) await removeSegmentFile(dir, s.name).catch(() => {});
    throw err;
  }
  return written;
}

/** Deletes a segment file (gone already is fine), durably: until the directory is fsynced, a crash can bring it back. */
export async function removeSegmentFile(dir: string, name: string): Promise<void> {
  await rm(join(dir, name), { force: true });
  await syncDir(dir);
}

function countLines(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++;
  return n;
}
