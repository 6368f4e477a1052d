import type { PageviewRow, SessionSnapshot } from '../sinks/sink.js';

/**
 * The newest snapshot of each session touched by `rows`: one upsert row per session per flush.
 * "Newest" is the most interactions, then the latest time, so the order of `rows` does not matter.
 */
export function latestSessions(rows: readonly PageviewRow[]): SessionSnapshot[] {
  const latest = new Map<string, SessionSnapshot>();
  for (const row of rows) {
    const s = row.session;
    if (s === null) continue;
    const held = latest.get(s.start.id);
    if (held === undefined || isNewer(s, held)) latest.set(s.start.id, s);
  }
  return [...latest.values()];
}

function isNewer(a: SessionSnapshot, b: SessionSnapshot): boolean {
  const ca = a.pageviews + a.events;
  const cb = b.pageviews + b.events;
  return ca !== cb ? ca > cb : a.lastSeenAt > b.lastSeenAt;
}
