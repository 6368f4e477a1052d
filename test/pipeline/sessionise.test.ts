import t from 'tap';
import { Enricher } from '../../src/pipeline/enricher.js';
import { MemorySessionStore } from '../../src/pipeline/memory-session-store.js';
import { compileTrust } from '../../src/pipeline/proxy-trust.js';
import { QueryStripper } from '../../src/pipeline/query-strip.js';
import { DAY_MS, SaltStore } from '../../src/pipeline/salt-store.js';
import type { SessionAssignment, SessionStore, Visit } from '../../src/pipeline/session-store.js';
import { sessionise, type SessionFacts } from '../../src/pipeline/sessionise.js';
import { storedBeacon, type StoredBeacon } from '../../src/pipeline/stored-beacon.js';
import { validateBeacon, type Valid } from '../../src/pipeline/validate-beacon.js';
import { AgentParser } from '../../src/pipeline/user-agent.js';
import type { BeaconType } from '../../src/sinks/sink.js';

const NOW = Date.UTC(2026, 10, 27, 12);
const TIMEOUT = 30 * 60_000;
const strip = new QueryStripper(['token']);

function stored(item: Record<string, unknown>, now = NOW): StoredBeacon {
  const s = storedBeacon(validateBeacon(item, now) as Valid, strip);
  if (!s.ok) throw new Error(s.detail);
  return s;
}

function store(): MemorySessionStore {
  let n = 0;
  return new MemorySessionStore({ timeoutMs: TIMEOUT, max: 100, newId: () => `session-${++n}` });
}

function facts(over: Partial<SessionFacts> = {}): SessionFacts {
  return { isBot: false, openedMail: false, now: NOW, previousUserHash: () => null, ...over };
}

/** The store's answer; the memory store answers synchronously. */
function sync(a: SessionAssignment | Promise<SessionAssignment>): SessionAssignment {
  if (a instanceof Promise) throw new Error('the memory store answered with a promise');
  return a;
}

const page = stored({ url: 'https://shop.example/p/1?utm_source=news&token=abc', referrer: 'https://www.google.com/' });

t.test("a person's pageview opens a session from the stored values; the next one joins it", async (t) => {
  const sessions = store();
  const first = sync(sessionise(sessions, 'pageview', page, 'visitor-a', facts(), false));
  t.equal(first.sessionId, 'session-1');
  t.match(first.snapshot, {
    userHash: 'visitor-a', pageviews: 1, events: 0, lastSeenAt: NOW, exitUrl: 'https://shop.example/p/1?utm_source=news',
    start: { hostname: 'shop.example', startedAt: NOW, entryUrl: 'https://shop.example/p/1?utm_source=news', entryReferrer: 'https://www.google.com/', utmSource: 'news' },
  }, 'the url as stored (token stripped), UTM parameters read from the page');
  const next = stored({ url: 'https://shop.example/p/2', type: 'event', name: 'buy' });
  const second = sync(sessionise(sessions, 'event', next, 'visitor-a', facts({ now: NOW + 60_000 }), false));
  t.match(second, { sessionId: 'session-1', snapshot: { pageviews: 1, events: 1, lastSeenAt: NOW + 60_000 } });
  t.equal(sync(sessionise(sessions, 'pageview', page, 'visitor-b', facts(), false)).sessionId, 'session-2', 'another visitor, another session');
});

t.test('kept bots, mail opens through a proxy and dry runs open, join and extend no session', async (t) => {
  const sessions = store();
  const opened = sync(sessionise(sessions, 'pageview', page, 'visitor-a', facts(), false));
  for (const [label, f, dryRun] of [
    ['a bot kept with KEEP_BOTS', facts({ isBot: true, now: NOW + 1000 }), false],
    ['a mail opened through a proxy', facts({ openedMail: true, now: NOW + 1000 }), false],
    ['a dry run (the debug endpoint)', facts({ now: NOW + 1000 }), true],
  ] as const) {
    t.same(sync(sessionise(sessions, 'pageview', page, 'visitor-a', f, dryRun)), { sessionId: null, snapshot: null }, `${label}: stored without a session`);
    t.same(sync(sessionise(sessions, 'pageview', page, 'visitor-new', f, dryRun)), { sessionId: null, snapshot: null }, `${label}: no session opened`);
  }
  t.equal(sessions.size, 1, 'only the person is held');
  const after = sync(sessionise(sessions, 'pageview', page, 'visitor-a', facts({ now: NOW + 2000 }), false));
  t.match(after, { sessionId: opened.sessionId, snapshot: { pageviews: 2, lastSeenAt: NOW + 2000 } }, 'none of them counted in or extended the session');
});

t.test('an error or performance beacon joins an active session and opens none', async (t) => {
  const sessions = store();
  t.same(sync(sessionise(sessions, 'performance', page, 'visitor-a', facts(), false)), { sessionId: null, snapshot: null });
  const opened = sync(sessionise(sessions, 'pageview', page, 'visitor-a', facts(), false));
  t.same(sync(sessionise(sessions, 'error', page, 'visitor-a', facts({ now: NOW + 1000 }), false)), { sessionId: opened.sessionId, snapshot: null });
});

t.test("just after UTC midnight a session begun under yesterday's salt goes on (the enricher's previous-day hash)", async (t) => {
  const midnight = Date.UTC(2026, 10, 28);
  let now = midnight - 5 * 60_000;
  const salts = new SaltStore({ getOrCreateSalt: async (_day, candidate) => candidate, deleteSaltsBefore: async () => 0 }, () => now);
  await salts.refresh();
  const enricher = new Enricher({ ipStorage: 'full', hashSecret: 'test-secret-0123456789abcdef', clock: () => now, salts, sessionTimeoutMs: TIMEOUT, geo: null, trust: compileTrust(false) });
  const request = { origin: undefined, ip: '198.51.100.7', userAgent: 'Mozilla/5.0', peer: '198.51.100.7', cdnCountry: undefined, doNotTrack: false };
  const admission = { count: 1, agent: new AgentParser().parse('Mozilla/5.0'), isBot: false, openedMail: false };
  const sessions = store();
  const visit = (type: BeaconType) => {
    const e = enricher.enrich(request, admission);
    if (e instanceof Promise) throw new Error('salts are held');
    const s = stored({ url: 'https://shop.example/p/1' }, now);
    return sync(sessionise(sessions, type, s, e.userHash(s.hostname), e, false));
  };
  const before = visit('pageview');
  now = midnight + 5 * 60_000;
  const after = visit('pageview');
  t.equal(after.sessionId, before.sessionId, 'the same session');
  t.not(after.snapshot?.userHash, before.snapshot?.userHash, "now under today's hash");
  t.equal(after.snapshot?.pageviews, 2);
  now = midnight + DAY_MS / 2;
  t.not(visit('pageview').sessionId, before.sessionId, 'at noon a new session');
});

t.test("an asynchronous store's promise is handed back as it is", async (t) => {
  const memory = store();
  const seen: Visit[] = [];
  const shared: SessionStore = {
    assign: (visit) => {
      seen.push(visit);
      return Promise.resolve(memory.assign(visit));
    },
    warm: () => {},
    size: 0,
    close: () => {},
  };
  const answer = sessionise(shared, 'pageview', page, 'visitor-a', facts({ previousUserHash: (h) => `yesterday-${h}` }), false);
  t.ok(answer instanceof Promise);
  t.equal((await answer).sessionId, 'session-1');
  t.match(seen, [{ key: 'visitor-a', previousKey: 'yesterday-shop.example', hostname: 'shop.example', type: 'pageview', href: page.url, referrer: page.referrer, now: NOW }]);
});
