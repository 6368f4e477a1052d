// The spool's files on disk: where a spool lives, what its segments are called, and reading them.
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { PageviewRow } from '../sinks/sink.js';
import { decodeRow } from './row-codec.js';
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

/** A segment file's rows, and its lines that do not decode (throws if it cannot be read). */
export async function readSegment(path: string): Promise<SegmentRows> {
  const out: SegmentRows = { rows: [], bad: [] };
  for (const line of (await readFile(path)).toString('utf8').split('\n')) {
    if (line === '') continue;
    try {
      out.rows.push(decodeRow(line));
    } catch {
      out.bad.push(line);
    }
  }
  return out;
}

function countLines(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++;
  return n;
}
