import type { PageviewRow, SessionSnapshot } from '../sinks/sink.js';

/**
 * The newest snapshot of each session touched by `rows`: one upsert row per session per flush.
 * "Newest" is the most interactions, then the latest time, so the order of `rows` does not matter
 * (a spool taken over from a worker is replayed before this process's own, not in time order).
 */
export function latestSessions(rows: Iterable<PageviewRow>): SessionSnapshot[] {
  const latest = new Map<string, SessionSnapshot>();
  for (const row of rows) keepNewest(latest, row.session);
  return [...latest.values()];
}

/**
 * The same over rows read from disk one at a time (the spool at start: its snapshots are newer
 * than the sessions table's and must win the warm-up), without holding the rows in memory.
 */
export async function latestSessionsOf(rows: AsyncIterable<PageviewRow>): Promise<SessionSnapshot[]> {
  const latest = new Map<string, SessionSnapshot>();
  for await (const row of rows) keepNewest(latest, row.session);
  return [...latest.values()];
}

function keepNewest(latest: Map<string, SessionSnapshot>, s: SessionSnapshot | null): void {
  if (s === null) return;
  const held = latest.get(s.start.id);
  if (held === undefined || isNewer(s, held)) latest.set(s.start.id, s);
}

function isNewer(a: SessionSnapshot, b: SessionSnapshot): boolean {
  const ca = a.pageviews + a.events;
  const cb = b.pageviews + b.events;
  return ca !== cb ? ca > cb : a.lastSeenAt > b.lastSeenAt;
}
