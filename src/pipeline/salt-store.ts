import { randomBytes } from 'node:crypto';
import type { SaltRepository } from '../sinks/sink.js';
import type { HeldSalt, SaltFile } from './salt-file.js';

export const DAY_MS = 86_400_000;

/** YYYY-MM-DD of the UTC day containing `ms`. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export interface SaltStoreOptions {
  /** The local copy of known salts (DATA_DIR/salts.json), or null. */
  file?: SaltFile | null;
  /** False while the database has not been reached since start: no salt is asked of it then. */
  online?: () => boolean;
  /** A provisional salt was made (`replaced` false) or, once the database answered, replaced by the day's salt there (true). */
  onProvisional?: (day: string, replaced: boolean) => void;
}

/**
 * Holds the daily salts in memory so the hot path reads them synchronously. The database decides
 * each day's salt (first writer wins), so every instance and restart agrees. Tomorrow's salt is
 * fetched ahead, so the switch at UTC midnight needs no I/O; yesterday's is kept for sessions that
 * cross midnight; older ones are deleted (48 hours at most).
 *
 * Without the database (a start during an outage) a day's salt comes from the local copy, which
 * the database filled before; failing that, this instance makes a provisional one and offers it
 * to the database once it answers. A single instance's provisional salt always becomes the day's
 * salt, so its hashes stay consistent. With several instances, if another one stored the day's
 * salt first, this one switches to it: the visitors it hashed provisionally that day get a second
 * hash (they may count as two visitors that day, never more).
 */
export class SaltStore {
  readonly #repo: SaltRepository;
  readonly #clock: () => number;
  readonly #salts = new Map<string, HeldSalt>();
  // One fetch per day at a time: concurrent first beacons of a day must not each make a salt.
  readonly #loading = new Map<string, Promise<Buffer>>();
  readonly #file: SaltFile | null;
  readonly #online: () => boolean;
  readonly #onProvisional: (day: string, replaced: boolean) => void;
  #timer: NodeJS.Timeout | undefined;
  #onError: (err: unknown) => void;

  constructor(repo: SaltRepository, clock: () => number, onError: (err: unknown) => void = () => {}, options: SaltStoreOptions = {}) {
    this.#repo = repo;
    this.#clock = clock;
    this.#onError = onError;
    this.#file = options.file ?? null;
    this.#online = options.online ?? (() => true);
    this.#onProvisional = options.onProvisional ?? (() => {});
  }

  /**
   * Loads yesterday's (for sessions that cross midnight, also after a restart), today's and
   * tomorrow's salts and prunes older ones; settles provisional ones with the database. Call at
   * start, once the database is reached, and after each rotation. Never rejects: failures go to onError.
   */
  async refresh(): Promise<void> {
    if (this.#file !== null && this.#salts.size === 0) {
      for (const [day, held] of await this.#file.read()) this.#salts.set(day, held);
    }
    const now = this.#clock();
    const yesterday = utcDay(now - DAY_MS);
    for (const day of [yesterday, utcDay(now), utcDay(now + DAY_MS)]) {
      const held = this.#salts.get(day);
      if (held === undefined) await this.load(day);
      else if (held.provisional && this.#online()) await this.#settle(day, held);
    }
    for (const day of this.#salts.keys()) if (day < yesterday) this.#salts.delete(day);
    await this.#save();
    if (!this.#online()) return;
    try {
      await this.#repo.deleteSaltsBefore(yesterday);
    } catch (err) {
      this.#onError(err);
    }
  }

  /** Starts the timer that refreshes shortly after each UTC midnight. */
  start(): void {
    const now = this.#clock();
    const untilMidnight = DAY_MS - (now % DAY_MS) + 1000;
    this.#timer = setTimeout(() => void this.refresh().then(() => this.start()), untilMidnight).unref();
  }

  stop(): void {
    clearTimeout(this.#timer);
  }

  /** The salt of a day if it is held in memory. */
  peek(day: string): Buffer | undefined {
    return this.#salts.get(day)?.salt;
  }

  /** The salt of a day: held, or from the database (creating it if need be), or else provisional. Never rejects. */
  load(day: string): Promise<Buffer> {
    const held = this.#salts.get(day);
    if (held) return Promise.resolve(held.salt);
    let loading = this.#loading.get(day);
    if (loading === undefined) {
      loading = this.#fetch(day).finally(() => this.#loading.delete(day));
      this.#loading.set(day, loading);
    }
    return loading;
  }

  async #fetch(day: string): Promise<Buffer> {
    if (this.#online()) {
      try {
        const salt = await this.#repo.getOrCreateSalt(day, randomBytes(32));
        this.#salts.set(day, { salt, provisional: false });
        await this.#save();
        return salt;
      } catch (err) {
        this.#onError(err);
      }
    }
    const salt = randomBytes(32);
    this.#salts.set(day, { salt, provisional: true });
    this.#onProvisional(day, false);
    await this.#save();
    return salt;
  }

  /** Offers a provisional salt to the database; the day's salt there wins. */
  async #settle(day: string, held: HeldSalt): Promise<void> {
    try {
      const salt = await this.#repo.getOrCreateSalt(day, held.salt);
      const replaced = !salt.equals(held.salt);
      this.#salts.set(day, { salt, provisional: false });
      if (replaced) this.#onProvisional(day, true);
    } catch (err) {
      this.#onError(err);
    }
  }

  async #save(): Promise<void> {
    if (this.#file === null) return;
    try {
      await this.#file.write(this.#salts);
    } catch (err) {
      this.#onError(err);
    }
  }
}
