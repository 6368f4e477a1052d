import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { PageviewRow } from '../sinks/sink.js';
import { AppendOnlyFile } from './append-only-file.js';
import { decodeRow, encodeRow } from './row-codec.js';

export const DEAD_LETTER_FILE = 'dead-letter.ndjson';

export interface DeadLetterOptions {
  /** The file is not written past this size (DEAD_LETTER_MAX_BYTES; its default here too). */
  maxBytes?: number;
  /** A letter was dropped because it would have taken the file past maxBytes. */
  onDropped?: () => void;
}

interface LetterError {
  code?: string | undefined;
  message: string;
}

/**
 * Rows the database refused and spool or WAL lines that do not decode, one JSON line each with
 * its error, in SPOOL_DIR/dead-letter.ndjson: kept for a person to inspect and, once the cause is
 * fixed, replay. The file is capped: a database that refuses everything must not fill the disk
 * the spool needs, so past maxBytes letters are dropped (and reported to onDropped).
 */
export class DeadLetters {
  readonly path: string;
  readonly #dir: string;
  readonly #maxBytes: number;
  readonly #onDropped: () => void;
  // One letter at a time: the size check and the write that follows it must not interleave.
  #writing: Promise<unknown> = Promise.resolve();

  constructor(dir: string, options: DeadLetterOptions = {}) {
    this.#dir = dir;
    this.path = join(dir, DEAD_LETTER_FILE);
    this.#maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.#onDropped = options.onDropped ?? (() => {});
  }

  /** A row the database refused. Resolves false when it was dropped (the cap); throws on an I/O error. */
  write(row: PageviewRow, error: LetterError): Promise<boolean> {
    return this.#append(`${this.#head(error)},"row":${encodeRow(row)}}\n`);
  }

  /** A line of the spool or a WAL that does not decode, kept as it is (a JSON string). As write(). */
  writeLine(line: string, error: LetterError): Promise<boolean> {
    return this.#append(`${this.#head(error)},"line":${JSON.stringify(line)}}\n`);
  }

  /**
   * Dead-letters lines that did not decode, each with the reason it does not. Never throws: a
   * damaged line must not hold up the rows around it, even when this file cannot be written;
   * resolves with the error that stopped the writing, or null.
   */
  async writeUnreadable(lines: readonly string[]): Promise<unknown> {
    try {
      for (const line of lines) await this.writeLine(line, { code: 'unreadable', message: unreadableReason(line) });
      return null;
    } catch (err) {
      return err;
    }
  }

  #head(error: LetterError): string {
    return `{"at":${JSON.stringify(new Date().toISOString())},"code":${JSON.stringify(error.code ?? null)},"error":${JSON.stringify(error.message)}`;
  }

  #append(letter: string): Promise<boolean> {
    const done = this.#writing.then(() => this.#write(letter));
    this.#writing = done.catch(() => {});
    return done;
  }

  async #write(letter: string): Promise<boolean> {
    if (Buffer.byteLength(letter) > this.#maxBytes) return this.#drop();
    await mkdir(this.#dir, { recursive: true });
    // Opened per letter (they are rare) and measured each time: a person may empty or remove the file.
    const file = await AppendOnlyFile.open(this.#dir, DEAD_LETTER_FILE);
    try {
      // A last line torn by a crash or a failed write that could not be cut back: this letter starts a line of its own.
      const data = Buffer.from(file.torn ? '\n' + letter : letter);
      if (file.size + data.length > this.#maxBytes) return this.#drop();
      await file.append(data);
      return true;
    } finally {
      await file.close();
    }
  }

  #drop(): false {
    this.#onDropped();
    return false;
  }
}

function unreadableReason(line: string): string {
  try {
    decodeRow(line);
    return 'not a spooled row';
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
