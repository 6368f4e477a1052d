import type { PageviewRow } from '../sinks/sink.js';
import { batchLength } from './batch-length.js';
import { RingBuffer } from './ring-buffer.js';
import { rowHeapBytes } from './row-heap-bytes.js';

/**
 * The rows the writer holds in memory: a ring bounded by count (BUFFER_CAPACITY) and, by the rows'
 * estimated heap bytes, by BUFFER_MAX_BYTES, since a count alone lets large beacons take gigabytes
 * before it is reached. A row that does not fit is refused, and the writer sends it where it sends
 * rows when the ring is full. The ring knows nothing of bytes; the count is kept here.
 */
export class MemoryBuffer {
  readonly #ring: RingBuffer<PageviewRow>;
  readonly maxBytes: number;
  #bytes = 0;

  constructor(capacity: number, maxBytes: number) {
    if (!(maxBytes > 0)) throw new RangeError(`maxBytes must be positive, got ${maxBytes}`);
    this.#ring = new RingBuffer(capacity);
    this.maxBytes = maxBytes;
  }

  get size(): number {
    return this.#ring.size;
  }

  get capacity(): number {
    return this.#ring.capacity;
  }

  /** Estimated heap bytes of the rows held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Whether a row might still be taken (a large one may not fit the bytes left). */
  hasRoom(): boolean {
    return this.#ring.size < this.#ring.capacity && this.#bytes < this.maxBytes;
  }

  /**
   * Takes a row unless the ring is full or the row would take the total past maxBytes. An empty
   * buffer takes any row, so a row larger than the budget is still written, not refused for ever.
   */
  push(row: PageviewRow): boolean {
    const bytes = rowHeapBytes(row);
    if (this.#ring.size > 0 && this.#bytes + bytes > this.maxBytes) return false;
    if (!this.#ring.push(row)) return false;
    this.#bytes += bytes;
    return true;
  }

  /** The oldest rows, as many as go into one statement (batchLength), without removing them. */
  peekBatch(maxRows: number, maxBytes: number): PageviewRow[] {
    return this.#ring.peek(batchLength((i) => this.#ring.at(i), maxRows, maxBytes));
  }

  /** Every row held, oldest first, without removing them. */
  peekAll(): PageviewRow[] {
    return this.#ring.peek(this.#ring.size);
  }

  /** Removes the oldest rows: `rows` must be those, as peeked. */
  drop(rows: readonly PageviewRow[]): void {
    for (const row of rows) this.#bytes -= rowHeapBytes(row);
    this.#ring.drop(rows.length);
  }
}
