/**
 * A fixed-capacity FIFO: a power-of-two array indexed with a mask (rounded up from the
 * requested capacity), overflowing at exactly `capacity`. O(1) push; the consumer peeks a batch
 * and drops it only once it is safely written, so a failed write loses nothing.
 */
export class RingBuffer<T> {
  readonly capacity: number;
  readonly #items: (T | undefined)[];
  readonly #mask: number;
  #head = 0; // index of the oldest item
  #size = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    let slots = 1;
    while (slots < capacity) slots *= 2;
    this.#items = new Array<T | undefined>(slots);
    this.#mask = slots - 1;
  }

  get size(): number {
    return this.#size;
  }

  /** Appends an item; false (and nothing stored) when the buffer holds `capacity` items. */
  push(item: T): boolean {
    if (this.#size >= this.capacity) return false;
    this.#items[(this.#head + this.#size) & this.#mask] = item;
    this.#size++;
    return true;
  }

  /** The oldest `count` items (fewer if fewer are held), oldest first, without removing them. */
  peek(count: number): T[] {
    const n = Math.min(count, this.#size);
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = this.#items[(this.#head + i) & this.#mask] as T;
    return out;
  }

  /** The oldest item at `index` (0 = oldest), or undefined. */
  at(index: number): T | undefined {
    return index < this.#size ? this.#items[(this.#head + index) & this.#mask] : undefined;
  }

  /** Removes the oldest `count` items. */
  drop(count: number): void {
    const n = Math.min(count, this.#size);
    for (let i = 0; i < n; i++) this.#items[(this.#head + i) & this.#mask] = undefined; // let GC have them
    this.#head = (this.#head + n) & this.#mask;
    this.#size -= n;
  }
}
