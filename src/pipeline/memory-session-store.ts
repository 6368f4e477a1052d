import { randomUUID } from 'node:crypto';
import type { SessionSnapshot } from '../sinks/sink.js';
import { advanceSession, type SessionAssignment, type SessionStore, type Visit } from './session-store.js';

export interface MemorySessionStoreOptions {
  timeoutMs: number;
  /** Visitors held at most; the least recently seen is evicted beyond it. */
  max: number;
  newId?: () => string;
  /** Called when an active session is evicted to make room (counted as sessions_evicted_total). */
  onEvict?: () => void;
}

/**
 * Active sessions of one instance, keyed by visitor hash. A Map keeps insertion order, and a
 * session is re-inserted whenever it is seen, so the first entries are the least recently seen:
 * eviction and idle expiry both take from the front in O(1) per entry. Bounded by `max`, so a
 * flood of invented user agents costs at most `max` entries.
 */
export class MemorySessionStore implements SessionStore {
  readonly #sessions = new Map<string, SessionSnapshot>();
  readonly #timeoutMs: number;
  readonly #max: number;
  readonly #newId: () => string;
  readonly #onEvict: () => void;

  constructor(options: MemorySessionStoreOptions) {
    this.#timeoutMs = options.timeoutMs;
    this.#max = options.max;
    this.#newId = options.newId ?? randomUUID;
    this.#onEvict = options.onEvict ?? (() => {});
  }

  get size(): number {
    return this.#sessions.size;
  }

  assign(visit: Visit): SessionAssignment {
    let current = this.#sessions.get(visit.key);
    let fromPrevious = false;
    if (current === undefined && visit.previousKey !== null) {
      current = this.#sessions.get(visit.previousKey);
      fromPrevious = current !== undefined;
    }
    const result = advanceSession(current, visit, this.#timeoutMs, this.#newId);
    if (result.snapshot !== null) {
      // Re-insert at the back (most recently seen); after midnight the session moves to today's key.
      if (fromPrevious) this.#sessions.delete(visit.previousKey as string);
      this.#sessions.delete(visit.key);
      this.#sessions.set(visit.key, result.snapshot);
      if (this.#sessions.size > this.#max) this.#evictOne(visit.now);
    }
    return result;
  }

  warm(snapshots: readonly SessionSnapshot[]): void {
    const oldestFirst = [...snapshots].sort((a, b) => a.lastSeenAt - b.lastSeenAt);
    for (const s of oldestFirst) {
      const held = this.#sessions.get(s.userHash);
      if (held !== undefined && held.lastSeenAt >= s.lastSeenAt) continue;
      this.#sessions.delete(s.userHash);
      this.#sessions.set(s.userHash, s);
      if (this.#sessions.size > this.#max) this.#evictOne(s.lastSeenAt);
    }
  }

  /** Drops sessions idle for the timeout or longer; returns how many. */
  sweep(now: number): number {
    let removed = 0;
    for (const [key, s] of this.#sessions) {
      if (now - s.lastSeenAt < this.#timeoutMs) break;
      this.#sessions.delete(key);
      removed++;
    }
    return removed;
  }

  close(): void {
    this.#sessions.clear();
  }

  #evictOne(now: number): void {
    const first = this.#sessions.entries().next();
    if (first.done) return;
    const [key, s] = first.value;
    this.#sessions.delete(key);
    if (now - s.lastSeenAt < this.#timeoutMs) this.#onEvict();
  }
}
