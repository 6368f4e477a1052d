import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { SessionSnapshot } from '../sinks/sink.js';
import { advanceSession, type SessionAssignment, type SessionStore, type Visit } from './session-store.js';

export interface MemorySessionStoreOptions {
  timeoutMs: number;
  /** Visitors held at most; the least recently seen is evicted beyond it. */
  max: number;
  newId?: () => string;
  /** Called when a still-active session is evicted to make room (beacon_sessions_evicted_total). */
  onEvict?: () => void;
}

/**
 * Active sessions of one instance, keyed by visitor hash, in an LRU ordered by when the visitor
 * was last seen (lru-cache: O(1) with a fixed-size linked list; a plain Map degrades to O(n) when
 * entries are removed from its front). Bounded by `max`, so a flood of invented user agents costs
 * at most `max` entries; idle ones are swept from the old end.
 */
export class MemorySessionStore implements SessionStore {
  readonly #sessions: LRUCache<string, SessionSnapshot>;
  readonly #timeoutMs: number;
  readonly #newId: () => string;
  // The time of the write that caused an eviction, to tell an active session's eviction from an idle one's.
  #now = 0;

  constructor(options: MemorySessionStoreOptions) {
    this.#timeoutMs = options.timeoutMs;
    this.#newId = options.newId ?? newSessionId;
    const onEvict = options.onEvict ?? (() => {});
    this.#sessions = new LRUCache<string, SessionSnapshot>({
      max: options.max,
      dispose: (s, _key, reason) => {
        if (reason === 'evict' && this.#now - s.lastSeenAt < this.#timeoutMs) onEvict();
      },
    });
  }

  get size(): number {
    return this.#sessions.size;
  }

  assign(visit: Visit): SessionAssignment {
    // peek: only a pageview, event or click makes a visitor recently seen.
    let current = this.#sessions.peek(visit.key);
    let fromPrevious = false;
    if (current === undefined && visit.previousKey !== null) {
      current = this.#sessions.peek(visit.previousKey);
      fromPrevious = current !== undefined;
    }
    const result = advanceSession(current, visit, this.#timeoutMs, this.#newId);
    if (result.snapshot !== null) {
      // After midnight the session moves to the visitor's key under today's salt.
      if (fromPrevious) this.#sessions.delete(visit.previousKey as string);
      this.#now = visit.now;
      this.#sessions.set(visit.key, result.snapshot);
    }
    return result;
  }

  /** Holds a session as another store decided it (the Redis store keeps its recent answers here). */
  remember(snapshot: SessionSnapshot): void {
    this.#now = snapshot.lastSeenAt;
    this.#sessions.set(snapshot.userHash, snapshot);
  }

  warm(snapshots: readonly SessionSnapshot[]): void {
    const oldestFirst = [...snapshots].sort((a, b) => a.lastSeenAt - b.lastSeenAt);
    for (const s of oldestFirst) {
      const held = this.#sessions.peek(s.userHash);
      if (held !== undefined && held.lastSeenAt >= s.lastSeenAt) continue;
      this.#now = s.lastSeenAt;
      this.#sessions.set(s.userHash, s);
    }
  }

  /** Drops sessions idle for the timeout or longer, oldest first; returns how many. */
  sweep(now: number): number {
    const idle: string[] = [];
    for (const key of this.#sessions.rkeys()) {
      const s = this.#sessions.peek(key);
      if (s !== undefined && now - s.lastSeenAt < this.#timeoutMs) break;
      idle.push(key);
    }
    for (const key of idle) this.#sessions.delete(key);
    return idle.length;
  }

  close(): void {
    this.#sessions.clear();
  }
}

/**
 * A UUID v4 as a flat 36-character string. Node builds randomUUID()'s result by concatenation,
 * and the resulting rope costs ~490 bytes of heap instead of ~48 while the store holds it.
 */
export function newSessionId(): string {
  return Buffer.from(randomUUID(), 'latin1').toString('latin1');
}
