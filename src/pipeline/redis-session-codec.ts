import type { SessionSnapshot } from '../sinks/sink.js';

/*
 * Storage: one string per visitor, a JSON array in this order (positions, not names: no field
 * names repeated in every key):
 *   1 lastSeenAt, 2 pageviews, 3 events, 4 exitUrl, 5 userHash, 6 id, 7 hostname, 8 startedAt,
 *   9 entryUrl, 10 entryReferrer, 11-15 utmSource, utmMedium, utmCampaign, utmTerm, utmContent
 * A string rather than a hash: GET and SET ... PX read and write the whole state with its TTL in one
 * command each, it is a single allocation in Redis (a hash with URL values over 64 bytes leaves the
 * compact listpack encoding), and the scripts (redis-session-scripts.ts, which rely on these
 * positions) read it with the cjson Redis bundles. cjson prints numbers with 14 significant digits:
 * epoch milliseconds fit until the year 5138.
 */
type Encoded = [number, number, number, string | null, string, string, string, number, string, string | null,
  string | null, string | null, string | null, string | null, string | null];

/** A session as the Redis store holds it. */
export function encodeSession(s: SessionSnapshot): string {
  const t = s.start;
  const a: Encoded = [s.lastSeenAt, s.pageviews, s.events, s.exitUrl, s.userHash, t.id, t.hostname, t.startedAt,
    t.entryUrl, t.entryReferrer, t.utmSource, t.utmMedium, t.utmCampaign, t.utmTerm, t.utmContent];
  return JSON.stringify(a);
}

/**
 * The session `encodeSession` wrote. Unchecked: the scripts return only values whose counts and id
 * they could read, and the store checks the rest with `sessionProblem` (row-codec.ts) before use.
 */
export function decodeSession(json: string): SessionSnapshot {
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
