import type { BeaconType } from '../sinks/sink.js';
import type { SessionAssignment, SessionStore } from './session-store.js';
import type { StoredBeacon } from './stored-beacon.js';

/** What sessionise needs of the request's enrichment. */
export interface SessionFacts {
  isBot: boolean;
  openedMail: boolean;
  now: number;
  previousUserHash(hostname: string): string | null;
}

const NO_SESSION: SessionAssignment = { sessionId: null, snapshot: null };

/**
 * The session a stored beacon belongs to (see advanceSession for the rule), as the store assigns
 * it. Kept bots are stored but never open or join a session: session figures stay human. Nor do
 * mail opens through a proxy: every reader behind it shares its address and agent, so one
 * "visitor" would collect everybody's opens into one session. A dry run opens or extends none.
 * A promise only when the store answers asynchronously (Redis), so the caller awaits only then.
 */
export function sessionise(
  sessions: SessionStore,
  type: BeaconType,
  s: StoredBeacon,
  userHash: string,
  facts: SessionFacts,
  dryRun: boolean,
): SessionAssignment | Promise<SessionAssignment> {
  if (facts.isBot || facts.openedMail || dryRun) return NO_SESSION;
  return sessions.assign({
    key: userHash,
    previousKey: facts.previousUserHash(s.hostname),
    hostname: s.hostname,
    type,
    url: s.page,
    href: s.url,
    referrer: s.referrer,
    now: facts.now,
  });
}
