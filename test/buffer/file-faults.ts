// A disk that fails on demand, for files under one directory: FileHandle's write and datasync are
// wrapped for the length of a test, and sync() calls are recorded by path (directory fsyncs).
import { mkdtempSync, readlinkSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';

type Fault = 'short' | 'error' | null;
type Proto = {
  write: (this: FileHandle, ...args: unknown[]) => Promise<{ bytesWritten: number }>;
  datasync: (this: FileHandle) => Promise<void>;
  sync: (this: FileHandle) => Promise<void>;
};

const pathOf = (handle: FileHandle) => readlinkSync(`/proc/self/fd/${handle.fd}`);

async function fileHandleProto(): Promise<Proto> {
  const probe = await open(join(mkdtempSync(join(tmpdir(), 'bi-probe-')), 'probe'), 'w');
  await probe.close();
  return Object.getPrototypeOf(probe) as Proto;
}

/**
 * Faults for the next writes and datasyncs of files under `under`, in order: 'short' writes half
 * of what was asked (what a nearly full disk does), 'error' throws ENOSPC (EIO for datasync).
 */
export async function injectFaults(t: Test, under: string): Promise<{ writes: Fault[]; datasyncs: Fault[] }> {
  const proto = await fileHandleProto();
  const { write, datasync } = proto;
  const faults = { writes: [] as Fault[], datasyncs: [] as Fault[] };
  proto.write = async function (this: FileHandle, ...args: unknown[]) {
    const fault = pathOf(this).startsWith(under) ? faults.writes.shift() : null;
    if (!fault) return write.apply(this, args);
    if (fault === 'error') throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const [data, offset, length] = args as [Buffer | string, number | undefined, number | undefined];
    const from = offset ?? 0;
    const asked = typeof data === 'string' ? Buffer.from(data) : data.subarray(from, from + (length ?? data.length - from));
    const half = Math.max(1, asked.length >> 1);
    await write.call(this, asked, 0, half);
    return { bytesWritten: half, buffer: data };
  };
  proto.datasync = async function (this: FileHandle) {
    const fault = pathOf(this).startsWith(under) ? faults.datasyncs.shift() : null;
    if (fault) throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
    return datasync.call(this);
  };
  t.teardown(() => {
    proto.write = write;
    proto.datasync = datasync;
  });
  return faults;
}

/** The paths sync() is called on from now to the end of the test (a directory: its fsync). */
export async function recordSyncs(t: Test): Promise<string[]> {
  const proto = await fileHandleProto();
  const { sync } = proto;
  const synced: string[] = [];
  proto.sync = async function (this: FileHandle) {
    synced.push(pathOf(this));
    return sync.call(this);
  };
  t.teardown(() => {
    proto.sync = sync;
  });
  return synced;
}
