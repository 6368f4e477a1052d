import t from 'tap';
import { firstTouchReferrer, utmParameters } from '../../src/pipeline/attribution.js';
import { MemorySessionStore, newSessionId } from '../../src/pipeline/memory-session-store.js';
import { advanceSession, type Visit } from '../../src/pipeline/session-store.js';
import type { BeaconType } from '../../src/sinks/sink.js';

const T = 30 * 60_000;
const t0 = Date.UTC(2026, 4, 10, 12);
let ids = 0;
const newId = () => `id-${++ids}`;

function visit(type: BeaconType, now: number, over: Partial<Visit> = {}): Visit {
  const url = new URL(over.href ?? 'https://shop.example/');
  return { key: 'visitor-a', previousKey: null, hostname: 'shop.example', type, url, href: url.href, referrer: null, now, ...over };
}

t.test('advanceSession: interactions open and extend; error/performance only join', async (t) => {
  const first = advanceSession(undefined, visit('pageview', t0, { href: 'https://shop.example/landing?utm_source=news', referrer: 'https://news.example/' }), T, newId);
  t.match(first.snapshot, { pageviews: 1, events: 0, lastSeenAt: t0, exitUrl: 'https://shop.example/landing?utm_source=news', start: { entryUrl: 'https://shop.example/landing?utm_source=news', entryReferrer: 'https://news.example/', utmSource: 'news', startedAt: t0 } });
  const s1 = first.snapshot!;
  const click = advanceSession(s1, visit('click', t0 + 60_000, { href: 'https://shop.example/p' }), T, newId);
  t.match(click, { sessionId: s1.start.id, snapshot: { pageviews: 1, events: 1, exitUrl: s1.exitUrl, lastSeenAt: t0 + 60_000 } });
  const perf = advanceSession(click.snapshot!, visit('performance', t0 + 120_000), T, newId);
  t.same(perf, { sessionId: s1.start.id, snapshot: null }, 'joins without extending');
  const late = advanceSession(click.snapshot!, visit('performance', t0 + 60_000 + T), T, newId);
  t.same(late, { sessionId: null, snapshot: null }, 'a performance beacon after the timeout opens nothing');
  const errorFirst = advanceSession(undefined, visit('error', t0), T, newId);
  t.same(errorFirst, { sessionId: null, snapshot: null });
  const after = advanceSession(click.snapshot!, visit('pageview', t0 + 60_000 + T), T, newId);
  t.not(after.sessionId, s1.start.id, 'exactly the timeout later: a new session');
  t.equal(after.snapshot?.pageviews, 1);
  const eventFirst = advanceSession(undefined, visit('event', t0), T, newId);
  t.match(eventFirst.snapshot, { pageviews: 0, events: 1, exitUrl: null, start: { entryUrl: 'https://shop.example/' } });
});

t.test('attribution: own host is no first touch; UTM decoded and sanitised', async (t) => {
  t.equal(firstTouchReferrer('https://shop.example/other', 'shop.example'), null);
  t.equal(firstTouchReferrer('https://www.shop.example/', 'shop.example'), null, 'www. ignored');
  t.equal(firstTouchReferrer('https://shop.example/', 'www.shop.example'), null);
  t.equal(firstTouchReferrer('https://google.com/', 'shop.example'), 'https://google.com/');
  t.equal(firstTouchReferrer(null, 'shop.example'), null);
  t.same(utmParameters(new URL('https://a.example/?utm_source=Google%20Ads&utm_medium=cpc&utm_campaign=%3Cb%3Ewinter%3C%2Fb%3E&utm_term=shoes&utm_content=' + 'x'.repeat(300))), {
    utmSource: 'Google Ads', utmMedium: 'cpc', utmCampaign: 'winter', utmTerm: 'shoes', utmContent: 'x'.repeat(255),
  });
  t.same(utmParameters(new URL('https://a.example/?q=1')), { utmSource: null, utmMedium: null, utmCampaign: null, utmTerm: null, utmContent: null });
});

t.test('MemorySessionStore: LRU bound, eviction counted only for active sessions, sweep', async (t) => {
  let evicted = 0;
  const store = new MemorySessionStore({ timeoutMs: T, max: 3, newId, onEvict: () => evicted++ });
  for (const [i, key] of ['a', 'b', 'c'].entries()) store.assign(visit('pageview', t0 + i, { key }));
  store.assign(visit('performance', t0 + 10, { key: 'a' })); // does not make 'a' recently seen
  store.assign(visit('pageview', t0 + 11, { key: 'd' }));
  t.equal(store.size, 3);
  t.equal(evicted, 1, 'the least recently seen (a) was evicted while active');
  t.equal(store.assign(visit('performance', t0 + 12, { key: 'a' })).sessionId, null, 'a is gone');
  store.assign(visit('pageview', t0 + T + 5, { key: 'e' })); // evicts b, already idle: not counted
  t.equal(evicted, 1);
  t.equal(store.sweep(t0 + T + 11), 2, 'c and d are idle');
  t.equal(store.size, 1);
});

t.test('MemorySessionStore: after midnight a session found under yesterday\'s key moves to today\'s', async (t) => {
  const store = new MemorySessionStore({ timeoutMs: T, max: 10, newId });
  const s = store.assign(visit('pageview', t0, { key: 'yesterday-hash' })).sessionId;
  const next = store.assign(visit('pageview', t0 + 60_000, { key: 'today-hash', previousKey: 'yesterday-hash' }));
  t.equal(next.sessionId, s);
  t.equal(next.snapshot?.userHash, 'today-hash');
  t.equal(store.size, 1);
  t.equal(store.assign(visit('click', t0 + 120_000, { key: 'today-hash' })).sessionId, s);
});

t.test('MemorySessionStore.warm keeps the newest per visitor and the LRU order', async (t) => {
  const store = new MemorySessionStore({ timeoutMs: T, max: 10, newId });
  const a = advanceSession(undefined, visit('pageview', t0, { key: 'a' }), T, newId).snapshot!;
  const a2 = { ...a, lastSeenAt: t0 + 5, pageviews: 2 };
  store.warm([a2, a]);
  t.equal(store.assign(visit('click', t0 + 10, { key: 'a' })).snapshot?.pageviews, 2);
});

t.test('newSessionId is a UUID v4', async (t) => {
  t.match(newSessionId(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});
