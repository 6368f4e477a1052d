import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis, type RedisOptions, type Result } from 'ioredis';
import { sessionProblem } from '../buffer/row-codec.js';
import type { BeaconType, SessionSnapshot } from '../sinks/sink.js';
import { newSessionId, type MemorySessionStore } from './memory-session-store.js';
import { advanceSession, type SessionAssignment, type SessionStore, type Visit } from './session-store.js';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    beaconSessionAssign(
      key: string, previousKey: string, now: number, timeoutMs: number, kind: Kind,
      href: string, userHash: string, candidate: string, seed: string,
    ): Result<string | null, Context>;
    beaconSessionMerge(key: string, now: number, timeoutMs: number, snapshot: string): Result<number, Context>;
  }
}

export const DEFAULT_KEY_PREFIX = 'beacon:s:';
const CLOSE_WAIT_MS = 1000;

/**
 * The client options this store is built for. Every one of them keeps a slow or absent Redis from
 * turning into slow requests: the collector awaits each beacon's session in turn, so a wait here is
 * paid per item of a batch.
 */
export const REDIS_CLIENT_OPTIONS = {
  lazyConnect: false,
  // Commands issued in the same tick (concurrent requests) leave in one write.
  enableAutoPipelining: true,
  // While disconnected a command fails at once (the store falls back) instead of queueing.
  enableOfflineQueue: false,
  // A hung Redis costs one beacon this long; the store then stops trying for a second.
  commandTimeout: 250,
  // A command whose reply was lost with the connection has already been answered from the fallback:
  // resending it after the reconnect would count that beacon twice.
  autoResendUnfulfilledCommands: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 2_000,
  // 100 ms, 200, 400 ... capped at 2 s: an outage's end is noticed within 2 s.
  retryStrategy: (times: number) => Math.min(50 * 2 ** times, 2_000),
} satisfies RedisOptions;

/** A client with the options above (`overrides` for tests or TLS settings). */
export function createRedisClient(url: string, overrides: RedisOptions = {}): Redis {
  return new Redis(url, { ...REDIS_CLIENT_OPTIONS, ...overrides });
}

/** Redis could not assign this beacon (down, slow, refused the script); the fallback did. */
export class SessionStoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SessionStoreUnavailableError';
  }
}

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

type Kind = 'p' | 'e' | 'n';
const KIND: Readonly<Record<BeaconType, Kind>> = { pageview: 'p', event: 'e', click: 'e', error: 'n', performance: 'n' };
const NO_SESSION: SessionAssignment = Object.freeze({ sessionId: null, snapshot: null });

// After a failed command the store answers from the fallback for this long before trying again,
// so a Redis that times out costs one beacon commandTimeout, not every beacon.
const SUSPEND_MS = 1_000;
// Write-back of fallback sessions is retried this often while some remain.
const RECOVERY_RETRY_MS = 1_000;
const WRITE_BATCH = 500;
// beacon_sessions_active asks for a key count at most this often; SCAN walks the whole keyspace.
const COUNT_EVERY_MS = 30_000;

/*
 * Storage: one string per visitor, a JSON array in this order (positions, not names: no field
 * names repeated in every key):
 *   1 lastSeenAt, 2 pageviews, 3 events, 4 exitUrl, 5 userHash, 6 id, 7 hostname, 8 startedAt,
 *   9 entryUrl, 10 entryReferrer, 11-15 utmSource, utmMedium, utmCampaign, utmTerm, utmContent
 * A string rather than a hash: GET and SET ... PX read and write the whole state with its TTL in one
 * command each, it is a single allocation in Redis (a hash with URL values over 64 bytes leaves the
 * compact listpack encoding), and the scripts read it with the cjson Redis bundles. cjson prints
 * numbers with 14 significant digits: epoch milliseconds fit until the year 5138.
 */
type Encoded = [number, number, number, string | null, string, string, string, number, string, string | null,
  string | null, string | null, string | null, string | null, string | null];

function encode(s: SessionSnapshot): string {
  const t = s.start;
  const a: Encoded = [s.lastSeenAt, s.pageviews, s.events, s.exitUrl, s.userHash, t.id, t.hostname, t.startedAt,
    t.entryUrl, t.entryReferrer, t.utmSource, t.utmMedium, t.utmCampaign, t.utmTerm, t.utmContent];
  return JSON.stringify(a);
}

function decode(json: string): SessionSnapshot {
  const a = JSON.parse(json) as Encoded;
  return {
    start: {
      id: a[5], hostname: a[6], startedAt: a[7], entryUrl: a[8], entryReferrer: a[9],
      utmSource: a[10], utmMedium: a[11], utmCampaign: a[12], utmTerm: a[13], utmContent: a[14],
    },
    userHash: a[4],
    lastSeenAt: a[0],
    pageviews: a[1],
    events: a[2],
    exitUrl: a[3],
  };
}

// Shared by both scripts. decode: anything unreadable counts as no session (it is overwritten by
// the visitor's next interaction instead of failing every beacon). newer: of two states for one
// key, the one to keep and whether it differs from `held`: the same session combined count by
// count with the greatest (like the database's GREATEST), with the exit page and visitor hash of
// the later beacon; different sessions, the one seen last (a tie keeps what Redis holds).
const LUA_COMMON = `
local function decode(raw)
  if not raw then return nil end
  local ok, s = pcall(cjson.decode, raw)
  if ok and type(s) == 'table' and type(s[1]) == 'number' and type(s[2]) == 'number'
    and type(s[3]) == 'number' and type(s[6]) == 'string' then return s end
  return nil
end
local function newer(held, incoming)
  if not incoming then return held, false end
  if not held then return incoming, true end
  if held[6] ~= incoming[6] then
    if incoming[1] > held[1] then return incoming, true end
    return held, false
  end
  local changed = false
  if incoming[1] > held[1] then held[1] = incoming[1]; held[4] = incoming[4]; held[5] = incoming[5]; changed = true end
  if incoming[2] > held[2] then held[2] = incoming[2]; changed = true end
  if incoming[3] > held[3] then held[3] = incoming[3]; changed = true end
  return held, changed
end
`;

/**
 * assign. KEYS: today's key, yesterday's key (the same key when there is none). ARGV: now,
 * timeoutMs, kind ('p' pageview, 'e' event or click, 'n' error or performance), href, userHash,
 * candidate (the encoded session a new one would be, built in TS by advanceSession: attribution
 * stays in one place; '' for 'n'), seed (an encoded session the fallback holds for this visitor,
 * merged in first; '' for none).
 * Returns, for 'n': the active session's id or nil, writing nothing (no TTL refresh). Otherwise the
 * resulting encoded state, written to today's key with PX = lastSeenAt + timeout - now (the timeout
 * itself unless clocks disagree), after removing yesterday's key if the session came from there.
 */
const ASSIGN_LUA = `${LUA_COMMON}
local now = tonumber(ARGV[1])
local timeout = tonumber(ARGV[2])
local kind = ARGV[3]
local s = decode(redis.call('GET', KEYS[1]))
local moved = false
if not s and KEYS[2] ~= KEYS[1] then
  s = decode(redis.call('GET', KEYS[2]))
  moved = s ~= nil
end
if ARGV[7] ~= '' then s = newer(s, decode(ARGV[7])) end
local active = s ~= nil and now - s[1] < timeout
if kind == 'n' then
  if active then return s[6] end
  return false
end
local out
local last = now
if active then
  if s[1] > now then last = s[1] else s[1] = now end
  if kind == 'p' then s[2] = s[2] + 1; s[4] = ARGV[4] else s[3] = s[3] + 1 end
  s[5] = ARGV[5]
  out = cjson.encode(s)
else
  out = ARGV[6]
end
redis.call('SET', KEYS[1], out, 'PX', string.format('%d', last + timeout - now))
if moved then redis.call('DEL', KEYS[2]) end
return out
`;

/**
 * merge-if-newer (warm, write-back). KEYS: the key. ARGV: now, timeoutMs, encoded session.
 * Returns 1 when written (with PX = the time left until lastSeenAt + timeout), 0 when what Redis
 * holds is as new, or the result has already expired.
 */
const MERGE_LUA = `${LUA_COMMON}
local now = tonumber(ARGV[1])
local timeout = tonumber(ARGV[2])
local s, changed = newer(decode(redis.call('GET', KEYS[1])), decode(ARGV[3]))
if not changed then return 0 end
local ttl = s[1] + timeout - now
if ttl <= 0 then return 0 end
redis.call('SET', KEYS[1], cjson.encode(s), 'PX', string.format('%d', ttl))
return 1
`;

/**
 * Sessions shared by every instance through Redis: one script call per beacon (autopipelined with
 * the concurrent ones), applying the same rule as `advanceSession` atomically, so two instances
 * serving one visitor keep one session with exact counts.
 *
 * When Redis is not ready, or a command failed less than a second ago, a beacon is assigned by the
 * local `fallback` store at once, never waiting. Those sessions are written back with
 * merge-if-newer as soon as Redis is ready again (and merged into the visitor's next beacon if it
 * comes first), so a session opened during an outage continues after it. A session that lived only
 * in Redis when the outage began is not known locally: the visitor's first beacon during the outage
 * opens a new session (the earlier one is complete in the database), and that newer one is kept.
 * A command that timed out may still run in Redis later; that beacon may then count twice.
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
  readonly #maxPending: number;
  // Sessions the fallback created or advanced, by Redis key, not yet written back (insertion order: oldest first).
  readonly #pending = new Map<string, SessionSnapshot>();
  readonly #notReady = new Map<string, SessionStoreUnavailableError>();
  #recoveryTimer: NodeJS.Timeout | null = null;
  #recoveryArmed = false;
  #recovering: Promise<void> | null = null;
  // performance.now() until which Redis is not tried, after a failed command; 0 when not suspended.
  #suspendedUntil = 0;
  #suspendedBy: SessionStoreUnavailableError | null = null;
  #remoteCount = 0;
  #countedAt = -Infinity;
  #counting: Promise<number> | null = null;
  #closed = false;

  readonly #onReady = (): void => {
    this.#suspendedUntil = 0;
    void this.#recover();
  };

  // Connection errors surface per beacon through onError; without a listener ioredis prints each one.
  readonly #onClientError = (): void => {};

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
    this.#maxPending = options.maxPending ?? 200_000;
    // defineCommand: EVAL on a connection's first use, EVALSHA after; NOSCRIPT (a restarted or flushed Redis) retried with EVAL.
    redis.defineCommand('beaconSessionAssign', { numberOfKeys: 2, lua: ASSIGN_LUA });
    redis.defineCommand('beaconSessionMerge', { numberOfKeys: 1, lua: MERGE_LUA });
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
    return this.#pending.size + this.#remoteCount;
  }

  /** Fallback sessions not yet written back to Redis. */
  get pending(): number {
    return this.#pending.size;
  }

  assign(visit: Visit): SessionAssignment | Promise<SessionAssignment> {
    if (!this.#usable()) return this.#fallBack(visit, this.#unavailable());
    return this.#assignRemote(visit);
  }

  async #assignRemote(visit: Visit): Promise<SessionAssignment> {
    const key = this.#key(visit.hostname, visit.key);
    const previousKey = visit.previousKey === null ? key : this.#key(visit.hostname, visit.previousKey);
    const kind = KIND[visit.type];
    let candidate: SessionSnapshot | null = null;
    let candidateJson = '';
    if (kind !== 'n') {
      candidate = advanceSession(undefined, visit, this.#timeoutMs, this.#newId).snapshot;
      candidateJson = encode(candidate as SessionSnapshot);
    }
    let seedKey = key;
    let seed: SessionSnapshot | undefined;
    if (this.#pending.size > 0) {
      seed = this.#pending.get(key);
      if (seed === undefined && previousKey !== key) {
        seedKey = previousKey;
        seed = this.#pending.get(previousKey);
      }
    }
    let reply: string | null;
    try {
      reply = await this.#redis.beaconSessionAssign(key, previousKey, visit.now, this.#timeoutMs, kind,
        visit.href, visit.key, candidateJson, seed === undefined ? '' : encode(seed));
    } catch (err) {
      const error = new SessionStoreUnavailableError(`Redis session store failed: ${(err as Error).message}`, { cause: err });
      this.#suspend(error);
      return this.#fallBack(visit, error);
    }
    if (kind === 'n') return reply === null ? NO_SESSION : { sessionId: reply, snapshot: null };
    // Written to Redis with this beacon: no longer the fallback's to write back.
    if (seed !== undefined && this.#pending.get(seedKey) === seed) this.#pending.delete(seedKey);
    let snapshot = reply === candidateJson ? (candidate as SessionSnapshot) : decode(reply as string);
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
    for (let i = 0; i < live.length; i += WRITE_BATCH) {
      const batch = live.slice(i, i + WRITE_BATCH);
      const failed = this.#usable() ? await this.#merge(batch.map((s) => [this.#key(s.start.hostname, s.userHash), s]), now) : batch;
      if (failed.length > 0) {
        failure ??= this.#unavailable();
        this.#keepLocally(failed);
      }
    }
    if (failure !== null) this.#onError(failure);
  }

  /** Drops idle sessions from the fallback and from the write-back list (Redis expires its own). */
  sweep(now: number): number {
    for (const [key, s] of this.#pending) {
      if (now - s.lastSeenAt >= this.#timeoutMs) this.#pending.delete(key);
    }
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
    if (this.#recoveryTimer !== null) clearTimeout(this.#recoveryTimer);
    this.#redis.off('ready', this.#onReady);
    await this.#recovering;
    if (this.#pending.size > 0 && this.#usable()) await this.#writeBack().catch(() => {});
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

  #key(hostname: string, visitorHash: string): string {
    return `${this.#prefix}${hostname}:${visitorHash}`;
  }

  #usable(): boolean {
    if (this.#redis.status !== 'ready') return false;
    if (this.#suspendedUntil === 0) return true;
    if (performance.now() < this.#suspendedUntil) return false;
    this.#suspendedUntil = 0;
    return true;
  }

  #suspend(error: SessionStoreUnavailableError): void {
    this.#suspendedUntil = performance.now() + SUSPEND_MS;
    this.#suspendedBy = error;
  }

  // One error per client status, made once: an outage must not cost a stack trace per beacon.
  #unavailable(): SessionStoreUnavailableError {
    const status = this.#redis.status;
    if (status === 'ready' && this.#suspendedBy !== null) return this.#suspendedBy;
    let error = this.#notReady.get(status);
    if (error === undefined) {
      error = new SessionStoreUnavailableError(`Redis session store not ready (${status})`);
      this.#notReady.set(status, error);
    }
    return error;
  }

  #fallBack(visit: Visit, error: SessionStoreUnavailableError): SessionAssignment {
    const result = this.#fallback.assign(visit);
    const snapshot = result.snapshot;
    if (snapshot !== null) {
      const key = this.#key(visit.hostname, visit.key);
      this.#pending.delete(key); // re-inserted last: the oldest is forgotten first beyond maxPending
      this.#pending.set(key, snapshot);
      if (visit.previousKey !== null) {
        // The fallback moved yesterday's session to today's key.
        const previousKey = this.#key(visit.hostname, visit.previousKey);
        if (this.#pending.get(previousKey)?.start.id === snapshot.start.id) this.#pending.delete(previousKey);
      }
      if (this.#pending.size > this.#maxPending) this.#pending.delete(this.#pending.keys().next().value as string);
      this.#armRecovery();
    }
    this.#onError(error);
    return result;
  }

  #keepLocally(snapshots: readonly SessionSnapshot[]): void {
    this.#fallback.warm(snapshots);
    for (const s of snapshots) {
      const key = this.#key(s.start.hostname, s.userHash);
      const held = this.#pending.get(key);
      if (held === undefined || held.lastSeenAt < s.lastSeenAt) this.#pending.set(key, s);
    }
    this.#armRecovery();
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
      void this.#recover();
    }, RECOVERY_RETRY_MS).unref();
  }

  #recover(): Promise<void> {
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

  /** Writes the fallback's sessions to Redis in batches; once none is left, clears the fallback. */
  async #writeBack(): Promise<void> {
    while (this.#pending.size > 0 && this.#usable()) {
      const now = this.#clock();
      const batch: [string, SessionSnapshot][] = [];
      for (const entry of this.#pending) {
        if (now - entry[1].lastSeenAt >= this.#timeoutMs) this.#pending.delete(entry[0]);
        else batch.push(entry);
        if (batch.length === WRITE_BATCH) break;
      }
      const failed = new Set(await this.#merge(batch, now));
      for (const [key, s] of batch) {
        // Unless the fallback advanced it meanwhile (then the newer one is written next).
        if (!failed.has(s) && this.#pending.get(key) === s) this.#pending.delete(key);
      }
      if (failed.size > 0) return;
    }
  }

  /** merge-if-newer for each entry in one pipeline; returns the snapshots that did not make it. */
  async #merge(entries: readonly (readonly [string, SessionSnapshot])[], now: number): Promise<SessionSnapshot[]> {
    if (entries.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const [key, s] of entries) pipeline.beaconSessionMerge(key, now, this.#timeoutMs, encode(s));
    let results: [Error | null, unknown][] | null;
    try {
      results = await pipeline.exec();
    } catch (err) {
      results = null;
      this.#suspend(new SessionStoreUnavailableError(`Redis session store failed: ${(err as Error).message}`, { cause: err }));
    }
    const failed: SessionSnapshot[] = [];
    for (const [i, [, s]] of entries.entries()) {
      const error = results === null ? null : (results[i]?.[0] ?? null);
      if (results === null || results[i] === undefined || error !== null) {
        failed.push(s);
        if (error !== null) this.#suspend(new SessionStoreUnavailableError(`Redis session store failed: ${error.message}`, { cause: error }));
      }
    }
    return failed;
  }

  async #scan(): Promise<number> {
    if (!this.#usable()) return this.#remoteCount;
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
