import type { Redis } from 'ioredis';
import type { SessionSnapshot } from '../sinks/sink.js';
import type { MemorySessionStore } from './memory-session-store.js';
import type { RedisAvailability } from './redis-availability.js';
import { encodeSession } from './redis-session-codec.js';
import './redis-session-scripts.js'; // the type of beaconSessionMerge
import type { SessionAssignment, Visit } from './session-store.js';

export interface RedisFallbackOptions {
  /** A client with defineSessionScripts applied. */
  redis: Redis;
  availability: RedisAvailability;
  /** Assigns while Redis is unavailable. Not closed here: the store owns it. */
  local: MemorySessionStore;
  timeoutMs: number;
  /** Epoch ms, for the remaining TTL of written-back sessions. */
  clock: () => number;
  /** Sessions remembered for write-back at most (oldest forgotten first). */
  maxPending: number;
  /** The Redis key of a visitor's session. */
  keyOf: (hostname: string, visitorHash: string) => string;
}

// Write-back of fallback sessions is retried this often while some remain.
const RECOVERY_RETRY_MS = 1_000;
const WRITE_BATCH = 500;

/**
 * The Redis session store's side of an outage: beacons assigned by the local store, the sessions
 * it created or advanced remembered by Redis key, and written back to Redis with merge-if-newer
 * once Redis answers (on `recover()`, and every second while some remain), so a session opened
 * during an outage continues after it. A session advanced again while its write-back is in flight
 * stays pending and is written next.
 */
export class RedisFallback {
  readonly #redis: Redis;
  readonly #availability: RedisAvailability;
  readonly #local: MemorySessionStore;
  readonly #timeoutMs: number;
  readonly #clock: () => number;
  readonly #maxPending: number;
  readonly #keyOf: (hostname: string, visitorHash: string) => string;
  // Sessions the local store created or advanced, by Redis key, not yet written back (insertion order: oldest first).
  readonly #pending = new Map<string, SessionSnapshot>();
  #recoveryTimer: NodeJS.Timeout | null = null;
  #recoveryArmed = false;
  #recovering: Promise<void> | null = null;
  #closed = false;

  constructor(options: RedisFallbackOptions) {
    this.#redis = options.redis;
    this.#availability = options.availability;
    this.#local = options.local;
    this.#timeoutMs = options.timeoutMs;
    this.#clock = options.clock;
    this.#maxPending = options.maxPending;
    this.#keyOf = options.keyOf;
  }

  /** Sessions not yet written back to Redis. */
  get pending(): number {
    return this.#pending.size;
  }

  /** The session waiting for write-back under this key, if any. */
  held(key: string): SessionSnapshot | undefined {
    return this.#pending.get(key);
  }

  /** `snapshot` reached Redis some other way (merged into a beacon's assign): no longer to write back. */
  written(key: string, snapshot: SessionSnapshot): void {
    // Unless the local store advanced it meanwhile (then the newer one is written next).
    if (this.#pending.get(key) === snapshot) this.#pending.delete(key);
  }

  /** Assigns locally and remembers the result for write-back. */
  assign(visit: Visit): SessionAssignment {
    const result = this.#local.assign(visit);
    const snapshot = result.snapshot;
    if (snapshot !== null) {
      const key = this.#keyOf(visit.hostname, visit.key);
      this.#pending.delete(key); // re-inserted last: the oldest is forgotten first beyond maxPending
      this.#pending.set(key, snapshot);
      if (visit.previousKey !== null) {
        // The local store moved yesterday's session to today's key.
        const previousKey = this.#keyOf(visit.hostname, visit.previousKey);
        if (this.#pending.get(previousKey)?.start.id === snapshot.start.id) this.#pending.delete(previousKey);
      }
      if (this.#pending.size > this.#maxPending) this.#pending.delete(this.#pending.keys().next().value as string);
      this.#armRecovery();
    }
    return result;
  }

  /** Sessions that could not be written to Redis (a warm-up during an outage): held locally and written back later. */
  keep(snapshots: readonly SessionSnapshot[]): void {
    this.#local.warm(snapshots);
    for (const s of snapshots) {
      const key = this.#keyOf(s.start.hostname, s.userHash);
      const held = this.#pending.get(key);
      if (held === undefined || held.lastSeenAt < s.lastSeenAt) this.#pending.set(key, s);
    }
    this.#armRecovery();
  }

  /** Drops idle sessions from the write-back list (Redis expires its own). */
  sweep(now: number): void {
    for (const [key, s] of this.#pending) {
      if (now - s.lastSeenAt >= this.#timeoutMs) this.#pending.delete(key);
    }
  }

  /** Writes back what is pending, unless a write-back runs already; retried every second while some remain. */
  recover(): Promise<void> {
    if (this.#recovering !== null) return this.#recovering;
    if (this.#pending.size === 0 || this.#closed) return Promise.resolve();
    const recovering = this.#writeBack()
      .catch(() => {})
      .finally(() => {
        this.#recovering = null;
        if (this.#pending.size > 0) this.#armRecovery();
      });
    this.#recovering = recovering;
    return recovering;
  }

  /** No more retries; waits for a write-back in flight, then writes back what remains if Redis is usable. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#recoveryTimer !== null) clearTimeout(this.#recoveryTimer);
    await this.#recovering;
    if (this.#pending.size > 0 && this.#availability.usable()) await this.#writeBack().catch(() => {});
  }

  /** merge-if-newer for each entry in one pipeline; returns the snapshots that did not make it. */
  async merge(entries: readonly (readonly [string, SessionSnapshot])[], now: number): Promise<SessionSnapshot[]> {
    if (entries.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const [key, s] of entries) pipeline.beaconSessionMerge(key, now, this.#timeoutMs, encodeSession(s));
    let results: [Error | null, unknown][] | null;
    try {
      results = await pipeline.exec();
    } catch (err) {
      results = null;
      this.#availability.failed(err);
    }
    const failed: SessionSnapshot[] = [];
    for (const [i, [, s]] of entries.entries()) {
      const error = results === null ? null : (results[i]?.[0] ?? null);
      if (results === null || results[i] === undefined || error !== null) {
        failed.push(s);
        if (error !== null) this.#availability.failed(error);
      }
    }
    return failed;
  }

  #armRecovery(): void {
    if (this.#recoveryArmed || this.#closed) return;
    this.#recoveryArmed = true;
    if (this.#recoveryTimer !== null) {
      this.#recoveryTimer.refresh(); // re-arms a timer that has fired
      return;
    }
    this.#recoveryTimer = setTimeout(() => {
      this.#recoveryArmed = false;
      void this.recover();
    }, RECOVERY_RETRY_MS).unref();
  }

  /** Writes the pending sessions to Redis in batches, oldest first. */
  async #writeBack(): Promise<void> {
    while (this.#pending.size > 0 && this.#availability.usable()) {
      const now = this.#clock();
      const batch: [string, SessionSnapshot][] = [];
      for (const entry of this.#pending) {
        if (now - entry[1].lastSeenAt >= this.#timeoutMs) this.#pending.delete(entry[0]);
        else batch.push(entry);
        if (batch.length === WRITE_BATCH) break;
      }
      const failed = new Set(await this.merge(batch, now));
      for (const [key, s] of batch) {
        if (!failed.has(s)) this.written(key, s);
      }
      if (failed.size > 0) return;
    }
  }
}
