import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import type { PageviewRow } from '../sinks/sink.js';
import { encodeRow } from './row-codec.js';

export const DEAD_LETTER_FILE = 'dead-letter.ndjson';

/**
 * Rows the database refused, one JSON line each with its error, in SPOOL_DIR/dead-letter.ndjson:
 * kept for a person to inspect and, once the cause is fixed, replay.
 */
export class DeadLetters {
  readonly path: string;
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
    this.path = join(dir, DEAD_LETTER_FILE);
  }

  async write(row: PageviewRow, error: { code?: string | undefined; message: string }): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
    const line = `{"at":${JSON.stringify(new Date().toISOString())},"code":${JSON.stringify(error.code ?? null)},"error":${JSON.stringify(error.message)},"row":${encodeRow(row)}}\n`;
    const handle = await open(this.path, 'a');
    try {
      await handle.write(line);
      await handle.datasync();
    } finally {
      await handle.close();
    }
  }
}
