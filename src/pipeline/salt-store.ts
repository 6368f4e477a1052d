import { randomBytes } from 'node:crypto';
import type { SaltRepository } from '../sinks/sink.js';

export const DAY_MS = 86_400_000;

/** YYYY-MM-DD of the UTC day containing `ms`. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * Holds the daily salts in memory so the hot path reads them synchronously. The database decides
 * each day's salt (first writer wins), so every instance and restart agrees. Tomorrow's salt is
 * fetched ahead, so the switch at UTC midnight needs no I/O; yesterday's is kept for sessions that
 * cross midnight; older ones are deleted (48 hours at most).
 */
export class SaltStore {
  readonly #repo: SaltRepository;
  readonly #clock: () => number;
  readonly #salts = new Map<string, Buffer>();
  #timer: NodeJS.Timeout | undefined;
  #onError: (err: unknown) => void;

  constructor(repo: SaltRepository, clock: () => number, onError: (err: unknown) => void = () => {}) {
    this.#repo = repo;
    this.#clock = clock;
    this.#onError = onError;
  }

  /**
   * Loads yesterday's (for sessions that cross midnight, also after a restart), today's and
   * tomorrow's salts and prunes older ones. Call at start and after each rotation.
   */
  async refresh(): Promise<void> {
    const now = this.#clock();
    const yesterday = utcDay(now - DAY_MS);
    await this.load(yesterday);
    await this.load(utcDay(now));
    await this.load(utcDay(now + DAY_MS));
    for (const day of this.#salts.keys()) if (day < yesterday) this.#salts.delete(day);
    await this.#repo.deleteSaltsBefore(yesterday);
  }

  /** Starts the timer that refreshes shortly after each UTC midnight. */
  start(): void {
    const now = this.#clock();
    const untilMidnight = DAY_MS - (now % DAY_MS) + 1000;
    this.#timer = setTimeout(() => {
      this.refresh().then(
        () => this.start(),
        (err) => {
          this.#onError(err);
          // Try again in a minute; the salt for today is normally preloaded already.
          this.#timer = setTimeout(() => this.start(), 60_000).unref();
        },
      );
    }, untilMidnight).unref();
  }

  stop(): void {
    clearTimeout(this.#timer);
  }

  /** The salt of a day if it is held in memory. */
  peek(day: string): Buffer | undefined {
    return this.#salts.get(day);
  }

  /** The salt of a day, from memory or else from the database (creating it if need be). */
  async load(day: string): Promise<Buffer> {
    const held = this.#salts.get(day);
    if (held) return held;
    const salt = await this.#repo.getOrCreateSalt(day, randomBytes(32));
    this.#salts.set(day, salt);
    return salt;
  }
}
