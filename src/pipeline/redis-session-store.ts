import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { sessionProblem } from '../buffer/row-codec.js';
import type { SessionSnapshot } from '../sinks/sink.js';
import { newSessionId, type MemorySessionStore } from './memory-session-store.js';
import { RedisAvailability, SessionStoreUnavailableError } from './redis-availability.js';
import { RedisFallback } from './redis-fallback.js';
import { decodeSession, encodeSession } from './redis-session-codec.js';
import { defineSessionScripts, SESSION_KIND } from './redis-session-scripts.js';
import { advanceSession, type SessionAssignment, type SessionStore, type Visit } from './session-store.js';

// Importable from here as before the split.
export { createRedisClient, REDIS_CLIENT_OPTIONS } from './redis-client.js';
export { SessionStoreUnavailableError } from './redis-availability.js';

export const DEFAULT_KEY_PREFIX = 'beacon:s:';
const CLOSE_WAIT_MS = 1000;
// Sessions warmed per pipeline.
const WARM_BATCH = 500;
// beacon_sessions_active asks for a key count at most this often; SCAN walks the whole keyspace.
const COUNT_EVERY_MS = 30_000;
const NO_SESSION: SessionAssignment = Object.freeze({ sessionId: null, snapshot: null });

export interface RedisSessionStoreOptions {
  /** The store owns this client: it adds its scripts and listeners, and quits it in close(). */
  redis: Redis;
  timeoutMs: number;
  keyPrefix?: string;
  /** Assigns while Redis is unavailable; its sessions are written back once Redis is ready. Owned (closed) too. */
  fallback: MemorySessionStore;
  newId?: () => string;
  /** Called once per beacon that fell back, and once per warm() that could not reach Redis. */
  onError?: (err: SessionStoreUnavailableError) => void;
  /** Epoch ms, for the remaining TTL of warmed and written-back sessions. */
  clock?: () => number;
  /** Fallback sessions remembered for write-back at most (oldest forgotten first). */
  maxPending?: number;
}

/**
 * Sessions shared by every instance through Redis: one script call per beacon (autopipelined with
 * the concurrent ones, redis-session-scripts.ts), applying the same rule as `advanceSession`
 * atomically, so two instances serving one visitor keep one session with exact counts.
 *
 * When Redis is not ready, or a command failed less than a second ago (redis-availability.ts), a
 * beacon is assigned by the local `fallback` store at once, never waiting. Those sessions are
 * written back with merge-if-newer as soon as Redis is ready again (redis-fallback.ts), and merged
 * into the visitor's next beacon if it comes first, so a session opened during an outage continues
 * after it. A session that lived only in Redis when the outage began is not known locally: the
 * visitor's first beacon during the outage opens a new session (the earlier one is complete in the
 * database), and that newer one is kept. A command that timed out may still run in Redis later;
 * that beacon may then count twice.
 * Standalone Redis or Sentinel: the assign script touches today's and yesterday's key, which Redis
 * Cluster would place in different slots.
 */
export class RedisSessionStore implements SessionStore {
  readonly #redis: Redis;
  readonly #timeoutMs: number;
  readonly #prefix: string;
  readonly #fallback: MemorySessionStore;
  readonly #newId: () => string;
  readonly #onError: (err: SessionStoreUnavailableError) => void;
  readonly #clock: () => number;
  readonly #availability: RedisAvailability;
  readonly #local: RedisFallback;
  #remoteCount = 0;
  #countedAt = -Infinity;
  #counting: Promise<number> | null = null;
  #closed = false;

  readonly #onReady = (): void => {
    this.#availability.resume();
    void this.#local.recover();
  };

  // Connection errors surface per beacon through onError; without a listener ioredis prints each one.
  readonly #onClientError = (): void => {};

  readonly #keyOf = (hostname: string, visitorHash: string): string => `${this.#prefix}${hostname}:${visitorHash}`;

  constructor(options: RedisSessionStoreOptions) {
    const redis = options.redis;
    if (typeof redis.options.commandTimeout !== 'number') {
      throw new TypeError('RedisSessionStore needs a client with commandTimeout (see createRedisClient)');
    }
    this.#redis = redis;
    this.#timeoutMs = options.timeoutMs;
    this.#prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.#fallback = options.fallback;
    this.#newId = options.newId ?? newSessionId;
    this.#onError = options.onError ?? (() => {});
    this.#clock = options.clock ?? Date.now;
    this.#availability = new RedisAvailability(redis);
    this.#local = new RedisFallback({
      redis, availability: this.#availability, local: options.fallback, timeoutMs: options.timeoutMs,
      clock: this.#clock, maxPending: options.maxPending ?? 200_000, keyOf: this.#keyOf,
    });
    defineSessionScripts(redis);
    redis.on('ready', this.#onReady);
    redis.on('error', this.#onClientError);
  }

  /**
   * Sessions in the fallback plus the keys under the prefix (every site, every instance: the gauge
   * is global, take its max across instances, not the sum), counted by a background SCAN at most
   * every 30 s. Redis keeps no cheap count of keys by prefix; the count includes sessions idle
   * for less than the timeout, as the memory store's size does until it sweeps.
   */
  get size(): number {
    if (this.#counting === null && !this.#closed && performance.now() - this.#countedAt >= COUNT_EVERY_MS) {
      this.countSessions().catch(() => {});
    }
    return this.#local.pending + this.#remoteCount;
  }

  /** Fallback sessions not yet written back to Redis. */
  get pending(): number {
    return this.#local.pending;
  }

  assign(visit: Visit): SessionAssignment | Promise<SessionAssignment> {
    if (!this.#availability.usable()) return this.#fallBack(visit, this.#availability.unavailable());
    return this.#assignRemote(visit);
  }

  async #assignRemote(visit: Visit): Promise<SessionAssignment> {
    const key = this.#keyOf(visit.hostname, visit.key);
    const previousKey = visit.previousKey === null ? key : this.#keyOf(visit.hostname, visit.previousKey);
    const kind = SESSION_KIND[visit.type];
    let candidate: SessionSnapshot | null = null;
    let candidateJson = '';
    if (kind !== 'n') {
      candidate = advanceSession(undefined, visit, this.#timeoutMs, this.#newId).snapshot;
      candidateJson = encodeSession(candidate as SessionSnapshot);
    }
    // A session the fallback holds for this visitor goes along, merged in by the script.
    let seedKey = key;
    let seed: SessionSnapshot | undefined;
    if (this.#local.pending > 0) {
      seed = this.#local.held(key);
      if (seed === undefined && previousKey !== key) {
        seedKey = previousKey;
        seed = this.#local.held(previousKey);
      }
    }
    let reply: string | null;
    try {
      reply = await this.#redis.beaconSessionAssign(key, previousKey, visit.now, this.#timeoutMs, kind,
        visit.href, visit.key, candidateJson, seed === undefined ? '' : encodeSession(seed));
    } catch (err) {
      return this.#fallBack(visit, this.#availability.failed(err));
    }
    if (kind === 'n') return reply === null ? NO_SESSION : { sessionId: reply, snapshot: null };
    if (seed !== undefined) this.#local.written(seedKey, seed);
    let snapshot = reply === candidateJson ? (candidate as SessionSnapshot) : decodeSession(reply as string);
    const problem = snapshot === candidate ? null : sessionProblem(snapshot);
    if (problem !== null) snapshot = await this.#replaceBad(key, problem, candidate as SessionSnapshot, candidateJson);
    // The fallback keeps Redis's latest answer for each visitor this instance saw: if Redis stalls or
    // goes away, the visitor's next beacons continue the same session instead of opening a new one.
    this.#fallback.remember(snapshot);
    return { sessionId: snapshot.start.id, snapshot };
  }

  /**
   * Redis held a session that is not one this service would write (an earlier version's, or edited):
   * it counts as none, as an unreadable value does in the script. Kept, it would go with every
   * beacon of the visitor to the database (refused) and the spool (unreadable when read back).
   */
  async #replaceBad(key: string, problem: string, candidate: SessionSnapshot, candidateJson: string): Promise<SessionSnapshot> {
    this.#onError(new SessionStoreUnavailableError(`Redis held a session that is not one (${problem}); a new one started`));
    // Not written: the visitor's next beacon finds the bad one again and replaces it then.
    await this.#redis.set(key, candidateJson, 'PX', this.#timeoutMs).catch(() => {});
    return candidate;
  }

  /**
   * Loads sessions persisted before a restart with merge-if-newer, in pipelined batches, each with
   * the time it has left; expired ones are skipped. What cannot reach Redis goes to the fallback
   * (and is written back later).
   */
  async warm(snapshots: readonly SessionSnapshot[]): Promise<void> {
    const now = this.#clock();
    const live = snapshots.filter((s) => now - s.lastSeenAt < this.#timeoutMs);
    let failure: SessionStoreUnavailableError | null = null;
    for (let i = 0; i < live.length; i += WARM_BATCH) {
      const batch = live.slice(i, i + WARM_BATCH);
      const failed = this.#availability.usable()
        ? await this.#local.merge(batch.map((s) => [this.#keyOf(s.start.hostname, s.userHash), s]), now)
        : batch;
      if (failed.length > 0) {
        failure ??= this.#availability.unavailable();
        this.#local.keep(failed);
      }
    }
    if (failure !== null) this.#onError(failure);
  }

  /** Drops idle sessions from the fallback and from the write-back list (Redis expires its own). */
  sweep(now: number): number {
    this.#local.sweep(now);
    return this.#fallback.sweep(now);
  }

  /** Counts the keys under the prefix now (SCAN), updating what `size` reports. */
  countSessions(): Promise<number> {
    if (this.#counting !== null) return this.#counting;
    const counting = this.#scan().finally(() => {
      this.#counting = null;
    });
    this.#counting = counting;
    return counting;
  }

  /** Writes back what the fallback holds if Redis is ready, then quits the client and clears the fallback. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#redis.off('ready', this.#onReady);
    await this.#local.close();
    await this.#counting?.catch(() => {});
    this.#fallback.close();
    if (this.#redis.status !== 'end') {
      const ended = once(this.#redis, 'end');
      if (this.#redis.status === 'ready') {
        try {
          await this.#redis.quit();
        } catch {
          this.#redis.disconnect();
        }
      } else {
        // Reconnecting to an absent Redis: QUIT cannot be sent, and a closed socket may never say 'end'.
        this.#redis.disconnect();
      }
      // QUIT's reply comes before the socket closes; a shutdown never waits long for it.
      await Promise.race([ended, sleep(CLOSE_WAIT_MS, undefined, { ref: false })]);
    }
    this.#redis.off('error', this.#onClientError);
  }

  #fallBack(visit: Visit, error: SessionStoreUnavailableError): SessionAssignment {
    const result = this.#local.assign(visit);
    this.#onError(error);
    return result;
  }

  async #scan(): Promise<number> {
    if (!this.#availability.usable()) return this.#remoteCount;
    const pattern = `${this.#prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
    let cursor = '0';
    let count = 0;
    do {
      const [next, keys] = await this.#redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      count += keys.length;
    } while (cursor !== '0' && !this.#closed);
    this.#remoteCount = count;
    this.#countedAt = performance.now();
    return count;
  }
}
