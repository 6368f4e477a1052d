import type { BeaconType, SessionSnapshot } from '../sinks/sink.js';
import { firstTouchReferrer, utmParameters } from './attribution.js';

/** One beacon as the session logic sees it. */
export interface Visit {
  /** The visitor hash under today's salt. */
  key: string;
  /** The visitor hash under yesterday's salt, while a session from before midnight may still be active. */
  previousKey: string | null;
  hostname: string;
  type: BeaconType;
  /** The page, parsed (for UTM parameters) and as stored. */
  url: URL;
  href: string;
  /** The stored referrer. */
  referrer: string | null;
  /** Server time, epoch ms. */
  now: number;
}

export interface SessionAssignment {
  /** The session the beacon belongs to, or null (error/performance with no active session). */
  sessionId: string | null;
  /** The session's new state when the beacon changed it (pageview, event, click). */
  snapshot: SessionSnapshot | null;
}

/**
 * Where active sessions live. One instance keeps them in memory; a shared implementation (Redis)
 * can stand behind the same interface, which is why results may be promises.
 */
export interface SessionStore {
  assign(visit: Visit): SessionAssignment | Promise<SessionAssignment>;
  /** Loads sessions persisted before a restart. */
  warm(snapshots: readonly SessionSnapshot[]): void | Promise<void>;
  /** Sessions held (active or not yet swept). */
  readonly size: number;
  close(): void | Promise<void>;
}

const INTERACTIONS: ReadonlySet<BeaconType> = new Set(['pageview', 'event', 'click']);

/**
 * The session rule, shared by every store. A pageview, event or click extends the visitor's
 * session if it is active (seen less than `timeoutMs` ago) or opens a new one; an error or
 * performance beacon joins an active session without extending it, and otherwise has none (a
 * performance beacon sent when a tab closes an hour later must not open a session without pages).
 */
export function advanceSession(
  current: SessionSnapshot | undefined,
  visit: Visit,
  timeoutMs: number,
  newId: () => string,
): SessionAssignment {
  const active = current !== undefined && visit.now - current.lastSeenAt < timeoutMs;
  if (!INTERACTIONS.has(visit.type)) return { sessionId: active ? current.start.id : null, snapshot: null };
  const pageview = visit.type === 'pageview' ? 1 : 0;
  if (active) {
    const snapshot: SessionSnapshot = {
      start: current.start,
      userHash: visit.key,
      lastSeenAt: Math.max(current.lastSeenAt, visit.now),
      pageviews: current.pageviews + pageview,
      events: current.events + 1 - pageview,
      exitUrl: pageview ? visit.href : current.exitUrl,
    };
    return { sessionId: snapshot.start.id, snapshot };
  }
  const snapshot: SessionSnapshot = {
    start: {
      id: newId(),
      hostname: visit.hostname,
      startedAt: visit.now,
      entryUrl: visit.href,
      entryReferrer: firstTouchReferrer(visit.referrer, visit.hostname),
      ...utmParameters(visit.url),
    },
    userHash: visit.key,
    lastSeenAt: visit.now,
    pageviews: pageview,
    events: 1 - pageview,
    exitUrl: pageview ? visit.href : null,
  };
  return { sessionId: snapshot.start.id, snapshot };
}
