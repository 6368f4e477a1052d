import { open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDir } from './sync-dir.js';

/** A write that made no progress and gave no error; retrying it would loop for ever. */
export class ShortWriteError extends Error {
  readonly code = 'ESHORTWRITE';

  constructor(path: string, written: number, wanted: number) {
    super(`write to ${path} stopped after ${written} of ${wanted} bytes`);
    this.name = 'ShortWriteError';
  }
}

/**
 * A file written at its end in whole records. An append lands completely and is fsynced, or it
 * fails and the file is cut back to its last good size: a full disk first writes part of a
 * record and reports nothing (a short write), and a record acknowledged half-written, or torn
 * bytes left for the next record to be appended behind, would lose rows that were promised.
 * Creating the file fsyncs its directory.
 */
export class AppendOnlyFile {
  readonly path: string;
  readonly #handle: FileHandle;
  #size: number;
  #torn = false;

  private constructor(path: string, handle: FileHandle, size: number, torn: boolean) {
    this.path = path;
    this.#handle = handle;
    this.#size = size;
    this.#torn = torn;
  }

  /** Creates `name` in `dir`; fails if it exists. */
  static create(dir: string, name: string): Promise<AppendOnlyFile> {
    return AppendOnlyFile.#open(dir, name, true);
  }

  /** Opens `name` in `dir` to append to it, creating it if needed (see `torn` for one a crash left mid-record). */
  static open(dir: string, name: string): Promise<AppendOnlyFile> {
    return AppendOnlyFile.#open(dir, name, false);
  }

  /** Creates `name` in `dir` holding exactly `data`, durably; or throws and leaves no file behind. */
  static async write(dir: string, name: string, data: Buffer): Promise<void> {
    const file = await AppendOnlyFile.create(dir, name);
    try {
      await file.append(data);
    } catch (err) {
      await file.close().catch(() => {});
      // Best effort: left behind, the file is empty (cut back) or holds one torn line at its end.
      await rm(file.path, { force: true })
        .then(() => syncDir(dir))
        .catch(() => {});
      throw err;
    }
    await file.close();
  }

  static async #open(dir: string, name: string, exclusive: boolean): Promise<AppendOnlyFile> {
    const path = join(dir, name);
    let handle: FileHandle;
    let created = true;
    try {
      handle = await open(path, 'ax');
    } catch (err) {
      if (exclusive || (err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      handle = await open(path, 'a+');
      created = false;
    }
    try {
      if (created) await syncDir(dir);
      const size = created ? 0 : (await handle.stat()).size;
      return new AppendOnlyFile(path, handle, size, size > 0 && !(await endsWithNewline(handle, size)));
    } catch (err) {
      await handle.close().catch(() => {});
      if (created) await rm(path, { force: true }).catch(() => {});
      throw err;
    }
  }

  /** Bytes in the file, all of them from appends that succeeded (or there before it was opened). */
  get size(): number {
    return this.#size;
  }

  /**
   * The file ends in part of a record (a line), not to be appended behind: a failed append could not
   * be cut back, or a crash tore the last line before this run opened it.
   */
  get torn(): boolean {
    return this.#torn;
  }

  /** Writes all of `data` at the end and fsyncs it; on any failure cuts the file back and throws. */
  async append(data: Buffer): Promise<void> {
    try {
      let done = 0;
      while (done < data.length) {
        const { bytesWritten } = await this.#handle.write(data, done, data.length - done);
        if (bytesWritten <= 0) throw new ShortWriteError(this.path, done, data.length);
        done += bytesWritten;
      }
      await this.#handle.datasync();
    } catch (err) {
      try {
        await this.#handle.truncate(this.#size);
        await this.#handle.datasync();
      } catch {
        this.#torn = true;
      }
      throw err;
    }
    this.#size += data.length;
  }

  async close(): Promise<void> {
    await this.#handle.close();
  }
}

async function endsWithNewline(handle: FileHandle, size: number): Promise<boolean> {
  const last = Buffer.alloc(1);
  await handle.read(last, 0, 1, size - 1);
  return last[0] === 0x0a;
}
