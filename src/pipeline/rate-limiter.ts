import { LRUCache } from 'lru-cache';

const WINDOW_MS = 60_000;

/**
 * RATE_LIMIT_PER_MIN: beacons (not requests: a batch of 50 counts 50) per client address per
 * minute, in fixed one-minute windows. Addresses are held in an LRU, so a flood of spoofed or
 * rotating addresses costs bounded memory (an address pushed out simply starts a new window).
 */
export class RateLimiter {
  readonly #limit: number;
  readonly #clock: () => number;
  readonly #windows: LRUCache<string, { start: number; count: number }>;

  constructor(limitPerMinute: number, clock: () => number, maxAddresses = 100_000) {
    this.#limit = limitPerMinute;
    this.#clock = clock;
    this.#windows = new LRUCache({ max: maxAddresses });
  }

  /** How many of `count` beacons from `ip` are within the limit (the first ones); the rest are over it. */
  take(ip: string, count: number): number {
    const now = this.#clock();
    let w = this.#windows.get(ip);
    if (w === undefined || now - w.start >= WINDOW_MS) {
      w = { start: now, count: 0 };
      this.#windows.set(ip, w);
    }
    const allowed = Math.max(0, Math.min(count, this.#limit - w.count));
    w.count += count;
    return allowed;
  }
}
