import type { PageviewRow } from '../sinks/sink.js';
import type { Beacon } from './beacon-schema.js';
import type { SessionAssignment } from './session-store.js';
import type { StoredBeacon } from './stored-beacon.js';
import type { Agent } from './user-agent.js';

/** What buildRow needs of the request's enrichment. */
export interface RowFacts {
  agent: Agent;
  isBot: boolean;
  serverTimestamp: Date;
  clientIp: string | null;
  geoCountry: string | null;
}

// Fixed per-row overhead in a statement besides the long strings (ids, dates, numbers, quoting).
const ROW_OVERHEAD_BYTES = 256;

/** The row an accepted beacon becomes: its stored strings, the request's enrichment and its session. */
export function buildRow(
  beaconId: Buffer,
  b: Beacon,
  s: StoredBeacon,
  userHash: string,
  session: SessionAssignment,
  facts: RowFacts,
): PageviewRow {
  const { url, referrer, payload } = s;
  const agent = facts.agent;
  return {
    beaconId,
    url,
    hostname: s.hostname,
    type: b.type,
    eventName: s.eventName,
    userAgent: agent.stored,
    browser: agent.browser,
    os: agent.os,
    device: agent.device,
    isBot: facts.isBot,
    viewportWidth: b.viewportW ?? null,
    viewportHeight: b.viewportH ?? null,
    referrer,
    clientTimestamp: b.timestamp === undefined ? null : new Date(Math.round(b.timestamp)),
    serverTimestamp: facts.serverTimestamp,
    clientIp: facts.clientIp,
    sessionId: session.sessionId,
    payload,
    userHash,
    geoCountry: facts.geoCountry,
    session: session.snapshot,
    // Keeps a batch far below max_allowed_packet; counts characters, not bytes, and need not be exact.
    approxBytes: ROW_OVERHEAD_BYTES + url.length + (referrer?.length ?? 0) + (agent.stored?.length ?? 0) + (payload?.length ?? 0),
  };
}
