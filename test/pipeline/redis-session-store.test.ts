// The Redis session store against a real Redis on 127.0.0.1:6379: the session rule (equal to
// advanceSession), two instances sharing visitors, TTLs, midnight, an outage and a hung server.
import t from 'tap';
import { RedisSessionStore, SessionStoreUnavailableError } from '../../src/pipeline/redis-session-store.js';
import { advanceSession } from '../../src/pipeline/session-store.js';
import type { BeaconType, SessionSnapshot } from '../../src/sinks/sink.js';
import { admin, hash, idNormalizer, makeStore, newId, stored, T, t0, testPrefix, visit } from '../helpers/redis-sessions.js';

t.test('the session rule: interactions open and extend; error/performance only join', async (t) => {
  const { store } = await makeStore(t, testPrefix(t));
  const first = await store.assign(visit('pageview', t0, { href: 'https://shop.example/landing?utm_source=news&utm_campaign=%C3%A9t%C3%A9', referrer: 'https://news.example/' }));
  t.match(first.snapshot, {
    pageviews: 1, events: 0, lastSeenAt: t0, exitUrl: 'https://shop.example/landing?utm_source=news&utm_campaign=%C3%A9t%C3%A9', userHash: hash('visitor-a'),
    start: { entryUrl: 'https://shop.example/landing?utm_source=news&utm_campaign=%C3%A9t%C3%A9', entryReferrer: 'https://news.example/', utmSource: 'news', utmCampaign: 'été', startedAt: t0, hostname: 'shop.example' },
  });
  const s1 = first.snapshot!;
  const click = await store.assign(visit('click', t0 + 60_000, { href: 'https://shop.example/p' }));
  t.same(click, { sessionId: s1.start.id, snapshot: { ...s1, events: 1, lastSeenAt: t0 + 60_000 } }, 'start (UTF-8 utm included) survives the round trip through Lua');
  t.same(await store.assign(visit('performance', t0 + 120_000)), { sessionId: s1.start.id, snapshot: null }, 'joins without extending');
  t.same(await store.assign(visit('performance', t0 + 60_000 + T)), { sessionId: null, snapshot: null }, 'after the timeout opens nothing');
  t.same(await store.assign(visit('error', t0, { key: 'visitor-b' })), { sessionId: null, snapshot: null }, 'error first: no session');
  const after = await store.assign(visit('pageview', t0 + 60_000 + T, { href: 'https://shop.example/x' }));
  t.not(after.sessionId, s1.start.id, 'exactly the timeout later: a new session');
  t.match(after.snapshot, { pageviews: 1, events: 0, start: { startedAt: t0 + 60_000 + T, entryUrl: 'https://shop.example/x' } });
  const eventFirst = await store.assign(visit('event', t0, { key: 'visitor-c', referrer: 'https://www.shop.example/' }));
  t.match(eventFirst.snapshot, { pageviews: 0, events: 1, exitUrl: null, start: { entryUrl: 'https://shop.example/', entryReferrer: null } });
  const late = await store.assign(visit('pageview', t0 - 5_000, { key: 'visitor-c', href: 'https://shop.example/late' }));
  t.match(late.snapshot, { lastSeenAt: t0, pageviews: 1, exitUrl: 'https://shop.example/late' }, 'an earlier server clock never moves lastSeenAt back');
});

t.test('equals advanceSession over randomized sequences', async (t) => {
  const prefix = testPrefix(t);
  const { store } = await makeStore(t, prefix);
  const types: BeaconType[] = ['pageview', 'pageview', 'pageview', 'event', 'click', 'error', 'performance'];
  const gaps = [0, 1, 1_000, 60_000, T - 1, T, T + 1, 2 * T, -5_000];
  const hosts = ['shop.example', 'blog.example'];
  const pages = ['/', '/a?utm_source=x&utm_medium=y', '/b', '/c?utm_term=%3Cb%3Et'];
  const referrers = [null, 'https://google.com/', 'https://shop.example/', 'https://www.blog.example/p'];
  for (const seed of [1, 2, 3]) {
    let state = seed * 0x9e3779b9;
    const rand = (n: number) => {
      // mulberry32
      state = (state + 0x6d2b79f5) | 0;
      let x = Math.imul(state ^ (state >>> 15), 1 | state);
      x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
      return (((x ^ (x >>> 14)) >>> 0) % n);
    };
    const pick = <V>(a: readonly V[]): V => a[rand(a.length)] as V;
    const reference = new Map<string, SessionSnapshot>();
    const [normRedis, normRef] = [idNormalizer(), idNormalizer()];
    const day = new Map<number, number>();
    let now = t0;
    let mismatches = 0;
    for (let i = 0; i < 400; i++) {
      now += pick(gaps);
      const visitor = rand(4);
      const hostname = pick(hosts);
      // Now and then a visitor's day changes: today's key, yesterday's as previousKey for a while.
      const d = day.get(visitor) ?? 0;
      if (rand(25) === 0) day.set(visitor, d + 1);
      const today = day.get(visitor) ?? 0;
      const key = `${hostname}-s${seed}-v${visitor}-d${today}`;
      const previousKey = today > 0 && rand(3) > 0 ? `${hostname}-s${seed}-v${visitor}-d${today - 1}` : null;
      const v = visit(pick(types), now, { key, previousKey, hostname, href: `https://${hostname}${pick(pages)}`, referrer: pick(referrers) });

      let current = reference.get(key);
      const fromPrevious = current === undefined && previousKey !== null && reference.has(previousKey);
      if (fromPrevious) current = reference.get(previousKey!);
      const expected = advanceSession(current, v, T, newId);
      if (expected.snapshot !== null) {
        if (fromPrevious) reference.delete(previousKey!);
        reference.set(key, expected.snapshot);
      }
      const actual = await store.assign(v);
      const [a, e] = [normRedis(actual), normRef(expected)];
      if (JSON.stringify(a) !== JSON.stringify(e)) {
        mismatches++;
        t.same(a, e, `seed ${seed}, visit ${i}: ${v.type} ${key} at +${now - t0}`);
      }
    }
    for (const [key, s] of reference) {
      const raw = await stored(prefix, s.start.hostname, key);
      t.equal(raw?.[1], s.pageviews, `seed ${seed} ${key}: pageviews held`);
      t.equal(raw?.[2], s.events, `seed ${seed} ${key}: events held`);
      t.equal(raw?.[0], s.lastSeenAt, `seed ${seed} ${key}: lastSeenAt held`);
    }
    t.equal(mismatches, 0, `seed ${seed}: 400 visits, same results`);
  }
});

t.test('two instances share a visitor: one session, exact counts, also under 200 concurrent beacons', async (t) => {
  const prefix = testPrefix(t);
  const a = (await makeStore(t, prefix)).store;
  const b = (await makeStore(t, prefix)).store;
  const seq: [RedisSessionStore, BeaconType][] = [[a, 'pageview'], [b, 'click'], [a, 'pageview'], [b, 'event'], [a, 'performance'], [b, 'error'], [b, 'pageview']];
  const results = [];
  for (const [i, [store, type]] of seq.entries()) results.push(await store.assign(visit(type, t0 + i * 1000)));
  t.equal(new Set(results.map((r) => r.sessionId)).size, 1, 'one session id');
  t.match(results.at(-1)?.snapshot, { pageviews: 3, events: 2, lastSeenAt: t0 + 6000 });

  const concurrent = await Promise.all(Array.from({ length: 200 }, (_, i) =>
    (i % 2 === 0 ? a : b).assign(visit(i % 3 === 0 ? 'pageview' : 'event', t0 + i, { key: 'visitor-z' }))));
  t.equal(new Set(concurrent.map((r) => r.sessionId)).size, 1, 'one session id across both instances');
  const held = await stored(prefix, 'shop.example', 'visitor-z');
  t.equal(held?.[1], 67, 'pageviews counted exactly');
  t.equal(held?.[2], 133, 'events counted exactly');
  t.equal(held?.[0], t0 + 199, 'lastSeenAt is the latest');
  t.equal(Math.max(...concurrent.map((r) => r.snapshot!.pageviews + r.snapshot!.events)), 200);
});

t.test('the key lives for the timeout from the last interaction; error/performance do not refresh it', async (t) => {
  const prefix = testPrefix(t);
  const { store } = await makeStore(t, prefix);
  const key = `${prefix}shop.example:${hash('visitor-a')}`;
  await store.assign(visit('pageview', t0));
  const fresh = await admin.pttl(key);
  t.ok(fresh > T - 100 && fresh <= T, `PTTL ${fresh} ≈ ${T}`);
  // Instead of waiting for the TTL to run down: a refresh would set it back to about T.
  await admin.pexpire(key, T - 10_000);
  await store.assign(visit('performance', t0 + 1000));
  await store.assign(visit('error', t0 + 2000));
  const untouched = await admin.pttl(key);
  t.ok(untouched <= T - 140, `PTTL ${untouched}: not refreshed by error/performance`);
  await store.assign(visit('click', t0 + 3000));
  const refreshed = await admin.pttl(key);
  t.ok(refreshed > T - 100, `PTTL ${refreshed}: refreshed by a click`);
});

t.test("after midnight a session found under yesterday's key moves to today's", async (t) => {
  const prefix = testPrefix(t);
  const { store } = await makeStore(t, prefix);
  const s = (await store.assign(visit('pageview', t0, { key: 'yesterday-hash' }))).sessionId;
  t.same(await store.assign(visit('performance', t0 + 1000, { key: 'today-hash', previousKey: 'yesterday-hash' })), { sessionId: s, snapshot: null }, 'joined, nothing moved');
  t.not(await stored(prefix, 'shop.example', 'yesterday-hash'), null);
  const next = await store.assign(visit('pageview', t0 + 60_000, { key: 'today-hash', previousKey: 'yesterday-hash' }));
  t.equal(next.sessionId, s);
  t.match(next.snapshot, { userHash: hash('today-hash'), pageviews: 2 });
  t.equal(await stored(prefix, 'shop.example', 'yesterday-hash'), null, "yesterday's key removed");
  t.match(await stored(prefix, 'shop.example', 'today-hash'), [t0 + 60_000, 2, 0, 'https://shop.example/', hash('today-hash'), s]);
  t.equal((await store.assign(visit('click', t0 + 120_000, { key: 'today-hash' }))).sessionId, s);
});

t.test('warm merges with what Redis holds and never moves a session backwards', async (t) => {
  const prefix = testPrefix(t);
  const now = t0 + 10 * 60_000;
  const { store } = await makeStore(t, prefix, { clock: () => now });
  const base = advanceSession(undefined, visit('pageview', t0, { key: 'w' }), T, newId).snapshot!;
  const s = { ...base, lastSeenAt: t0 + 5 * 60_000, pageviews: 5, events: 2 };
  await store.warm([s]);
  const key = `${prefix}shop.example:${hash('w')}`;
  const ttl = await admin.pttl(key);
  t.ok(ttl > 25 * 60_000 - 5000 && ttl <= 25 * 60_000, // within 5 s: a loaded machine is slow
    `PTTL ${ttl}: the time left after lastSeenAt`);
  await store.warm([{ ...s, lastSeenAt: t0 + 4 * 60_000, pageviews: 3 }]);
  t.match(await stored(prefix, 'shop.example', 'w'), [t0 + 5 * 60_000, 5, 2], 'an older copy changes nothing');
  await store.warm([{ ...s, lastSeenAt: t0 + 4 * 60_000, events: 4, exitUrl: 'https://shop.example/old' }]);
  t.match(await stored(prefix, 'shop.example', 'w'), [t0 + 5 * 60_000, 5, 4, 'https://shop.example/'], 'same session: greatest counts, exit page of the later');
  const other = advanceSession(undefined, visit('pageview', t0, { key: 'w', href: 'https://shop.example/other' }), T, newId).snapshot!;
  await store.warm([{ ...other, lastSeenAt: t0 + 4 * 60_000 }]);
  t.equal((await stored(prefix, 'shop.example', 'w'))?.[5], s.start.id, 'an older other session is ignored');
  await store.warm([{ ...other, lastSeenAt: t0 + 6 * 60_000 }]);
  t.equal((await stored(prefix, 'shop.example', 'w'))?.[5], other.start.id, 'a newer other session wins');
  const expired = advanceSession(undefined, visit('pageview', t0 - T, { key: 'gone' }), T, newId).snapshot!;
  await store.warm([expired]);
  t.equal(await stored(prefix, 'shop.example', 'gone'), null, 'expired ones are skipped');
  const next = await store.assign(visit('click', now + 1000, { key: 'w' }));
  t.match(next, { sessionId: other.start.id, snapshot: { pageviews: 1, events: 1 } });
  await store.warm(Array.from({ length: 1200 }, (_, i) => ({ ...base, start: { ...base.start, id: newId() }, userHash: hash(`bulk-${i}`), lastSeenAt: now })));
  t.equal(await store.countSessions(), 1201, 'batches of warm written; size counts the keys');
  t.equal(store.size, 1201);
});

t.test('an unreadable value counts as no session; a flushed script cache is reloaded', async (t) => {
  const prefix = testPrefix(t);
  const { store } = await makeStore(t, prefix);
  await admin.set(`${prefix}shop.example:${hash('visitor-a')}`, 'not json', 'PX', 60_000);
  const r = await store.assign(visit('pageview', t0));
  t.match(r.snapshot, { pageviews: 1, events: 0 });
  await admin.script('FLUSH');
  t.equal((await store.assign(visit('click', t0 + 1))).sessionId, r.sessionId, 'NOSCRIPT handled by loading the script again');
});

t.test('a session Redis holds that is not one counts as none: a new session starts, reported through onError', async (t) => {
  const prefix = testPrefix(t);
  const errors: SessionStoreUnavailableError[] = [];
  const { store } = await makeStore(t, prefix, { onError: (e) => errors.push(e) });
  // As an earlier version could leave it: an entry URL longer than its column. Every beacon of the
  // visitor would carry it to the database (refused) and to the spool (unreadable on replay).
  const id = newId();
  const held = [t0 - 1000, 1, 0, 'https://shop.example/', hash('visitor-a'), id, 'shop.example', t0 - 1000, `https://shop.example/${'x'.repeat(3000)}`,
    null, null, null, null, null, null];
  await admin.set(`${prefix}shop.example:${hash('visitor-a')}`, JSON.stringify(held), 'PX', 60_000);
  const r = await store.assign(visit('pageview', t0, { href: 'https://shop.example/b' }));
  t.not(r.sessionId, id, 'a new session');
  t.match(r.snapshot, { pageviews: 1, events: 0, start: { entryUrl: 'https://shop.example/b', startedAt: t0 } });
  t.equal((await stored(prefix, 'shop.example', 'visitor-a'))?.[5], r.sessionId, 'and it replaces the bad one in Redis');
  t.equal(errors.length, 1, 'reported once');
  t.match(errors[0]?.message, /start\.entryUrl/, 'naming what is wrong');
  t.match(await store.assign(visit('click', t0 + 1)), { sessionId: r.sessionId, snapshot: { pageviews: 1, events: 1 } }, 'the new session continues');
});
