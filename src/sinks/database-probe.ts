export type DatabaseState = 'up' | 'down';

export interface DatabaseProbeOptions {
  /** One cheap statement (the sink's ping). */
  ping: () => Promise<void>;
  /** What the writer already knows: its last flush failed and a retry is scheduled. */
  failing: () => boolean;
  /** At most one ping per this many milliseconds, however many callers ask. */
  intervalMs?: number;
  /** Monotonic milliseconds; injected by tests. */
  now?: () => number;
}

/**
 * The database's state for /health without a statement per call: a flood of /health calls once
 * took the pool's queue from the flushes. A failing writer answers `down` without asking; otherwise
 * a ping runs lazily, at most once per interval, shared by every caller while it runs; callers in
 * between get the last answer. Lazy rather than a timer: nothing runs when nobody asks, and there
 * is nothing to stop at close.
 */
export class DatabaseProbe {
  readonly #o: Required<DatabaseProbeOptions>;
  #last: DatabaseState = 'down';
  #checkedAt = -Infinity;
  #pending: Promise<DatabaseState> | null = null;

  constructor(options: DatabaseProbeOptions) {
    this.#o = { intervalMs: 1000, now: () => performance.now(), ...options };
  }

  state(): Promise<DatabaseState> {
    if (this.#o.failing()) return Promise.resolve('down');
    if (this.#pending !== null) return this.#pending;
    const now = this.#o.now();
    if (now - this.#checkedAt < this.#o.intervalMs) return Promise.resolve(this.#last);
    this.#checkedAt = now;
    this.#pending = this.#o.ping().then(
      () => 'up' as const,
      () => 'down' as const,
    );
    void this.#pending.then((state) => {
      this.#last = state;
      this.#pending = null;
    });
    return this.#pending;
  }
}
