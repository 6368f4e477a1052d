import { open } from 'node:fs/promises';

/**
 * fsyncs a directory. A file's own fsync does not cover its name: until the directory is synced,
 * a crash can lose a file just created (with the rows it holds) or bring back one just removed.
 */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
