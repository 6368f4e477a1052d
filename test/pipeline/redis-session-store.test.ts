// The Redis session store against a real Redis on 127.0.0.1:6379: the session rule (equal to
// advanceSession), two instances sharing visitors, TTLs, midnight, an outage and a hung server.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import t, { type Test } from 'tap';
import { MemorySessionStore } from '../../src/pipeline/memory-session-store.js';
import { createRedisClient, RedisSessionStore, SessionStoreUnavailableError, type RedisSessionStoreOptions } from '../../src/pipeline/redis-session-store.js';
import { advanceSession, type SessionAssignment, type Visit } from '../../src/pipeline/session-store.js';
import type { BeaconType, SessionSnapshot } from '../../src/sinks/sink.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const T = 30 * 60_000;
const t0 = Date.UTC(2026, 4, 10, 12);
let ids = 0;
// Ids and visitor hashes shaped as the service makes them: a session that is not (row-codec.ts's
// check) counts as none when read back from Redis.
const newId = () => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`;
/** A visitor hash (16 hex digits) for a readable name. */
const hash = (name: string) => createHash('sha256').update(name).digest('hex').slice(0, 16);
let prefixes = 0;

const admin = new Redis(REDIS_URL);
t.teardown(() => admin.quit());

function visit(type: BeaconType, now: number, over: Partial<Visit> = {}): Visit {
  const url = new URL(over.href ?? 'https://shop.example/');
  const v: Visit = { key: 'visitor-a', previousKey: null, hostname: 'shop.example', type, url, href: url.href, referrer: null, now, ...over };
  return { ...v, key: hash(v.key), previousKey: v.previousKey === null ? null : hash(v.previousKey) };
}

async function deleteUnder(prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await admin.del(...keys);
  } while (cursor !== '0');
}

/** A key prefix of its own for one test, deleted when the test ends. */
function testPrefix(t: Test): string {
  const prefix = `beacon:test:${process.pid}:${++prefixes}:`;
  t.teardown(() => deleteUnder(prefix));
  return prefix;
}

type StoreOptions = Partial<Omit<RedisSessionStoreOptions, 'redis'>> & { url?: string };

async function makeStore(t: Test, keyPrefix: string, options: StoreOptions = {}): Promise<{ store: RedisSessionStore; redis: Redis; fallback: MemorySessionStore }> {
  const redis = createRedisClient(options.url ?? REDIS_URL);
  if (redis.status !== 'ready') await once(redis, 'ready');
  const fallback = options.fallback ?? new MemorySessionStore({ timeoutMs: T, max: 1000, newId });
  const store = new RedisSessionStore({ timeoutMs: T, newId, ...options, redis, keyPrefix, fallback });
  t.teardown(() => store.close());
  return { store, redis, fallback };
}

async function stored(prefix: string, hostname: string, key: string): Promise<unknown[] | null> {
  const raw = await admin.get(`${prefix}${hostname}:${hash(key)}`);
  return raw === null ? null : (JSON.parse(raw) as unknown[]);
}

/** Session ids replaced by their order of appearance, so two runs with different id sources compare. */
function idNormalizer(): (r: SessionAssignment) => SessionAssignment {
  const seen = new Map<string, string>();
  const norm = (id: string) => {
    let n = seen.get(id);
    if (n === undefined) seen.set(id, (n = `session-${seen.size}`));
    return n;
  };
  return (r) => ({
    sessionId: r.sessionId === null ? null : norm(r.sessionId),
    snapshot: r.snapshot === null ? null : { ...r.snapshot, start: { ...r.snapshot.start, id: norm(r.snapshot.start.id) } },
  });
}

async function until(condition: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    // Polled: the write-back list emptying has no event (status changes do; one helper serves both).
    await sleep(20);
  }
}

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

t.test('outage: beacons fall back at once, sessions continue locally and are written back after', async (t) => {
  const prefix = testPrefix(t);
  const proxy = await startTcpProxy(6379);
  t.teardown(() => proxy.close());
  const errors: Error[] = [];
  const { store, redis, fallback } = await makeStore(t, prefix, { url: `redis://127.0.0.1:${proxy.port}`, onError: (e) => errors.push(e), clock: () => t0 + 5000 });
  const before = await store.assign(visit('pageview', t0, { key: 'v1' }));

  proxy.cut();
  let started = performance.now();
  const inFlight = await store.assign(visit('click', t0 + 1000, { key: 'v1' }));
  t.ok(performance.now() - started < 400, `a command in flight when the connection dropped returned in ${Math.round(performance.now() - started)} ms`);
  t.ok(errors.length === 1 && errors[0] instanceof SessionStoreUnavailableError, 'onError once for that beacon');
  t.equal(inFlight.sessionId, before.sessionId, 'the session Redis last answered continues locally: no split');
  await until(() => redis.status !== 'ready');

  started = performance.now();
  const local: SessionAssignment[] = [];
  for (const [i, type] of (['pageview', 'click', 'performance', 'pageview'] as const).entries()) {
    const r = store.assign(visit(type, t0 + 2000 + i, { key: 'v2', href: `https://shop.example/${i}` }));
    t.notOk(r instanceof Promise, 'answered synchronously, without trying Redis');
    local.push(r as SessionAssignment);
  }
  local.push(await store.assign(visit('pageview', t0 + 3000, { key: 'v1' })));
  t.ok(performance.now() - started < 50, 'no waiting while Redis is away');
  t.equal(errors.length, 6, 'onError once per beacon');
  t.equal(new Set(local.slice(0, 4).map((r) => r.sessionId)).size, 1, 'v2 keeps one local session');
  t.match(local[3]?.snapshot, { pageviews: 2, events: 1 });
  t.match(local[4], { sessionId: before.sessionId, snapshot: { pageviews: 2, events: 1 } }, 'v1 continues its session locally');
  const warmed = advanceSession(undefined, visit('pageview', t0 + 2500, { key: 'v3' }), T, newId).snapshot!;
  await store.warm([warmed]);
  t.equal(errors.length, 7, 'a warm that cannot reach Redis is reported once');
  t.equal(store.pending, 3, 'three sessions wait for Redis');

  proxy.heal();
  await until(() => redis.status === 'ready');
  await until(() => store.pending === 0);
  t.ok(fallback.size >= 3, "the fallback keeps its copies: it is also the cache of Redis's answers");
  t.match(await stored(prefix, 'shop.example', 'v2'), [t0 + 2003, 2, 1, 'https://shop.example/3', hash('v2'), local[0]?.sessionId]);
  t.match(await stored(prefix, 'shop.example', 'v1'), [t0 + 3000, 2, 1, 'https://shop.example/', hash('v1'), before.sessionId], 'the local continuation merged into the session from before the outage');
  t.equal((await stored(prefix, 'shop.example', 'v3'))?.[5], warmed.start.id, 'warmed sessions written too');
  const next = await store.assign(visit('pageview', t0 + 4000, { key: 'v2' }));
  t.match(next, { sessionId: local[0]?.sessionId, snapshot: { pageviews: 3, events: 1 } }, "v2's next beacon continues its session");
  t.equal(errors.length, 7);
});

t.test('a beacon arriving before the write-back carries its local session along', async (t) => {
  const prefix = testPrefix(t);
  const proxy = await startTcpProxy(6379);
  t.teardown(() => proxy.close());
  const { store, redis } = await makeStore(t, prefix, { url: `redis://127.0.0.1:${proxy.port}`, clock: () => t0 + 2 });
  proxy.cut();
  await until(() => redis.status !== 'ready');
  const local = await store.assign(visit('pageview', t0, { key: 'v' }));
  await store.assign(visit('click', t0 + 1, { key: 'v' }));
  proxy.heal();
  await once(redis, 'ready');
  // The same tick as 'ready': the write-back has only just been sent.
  t.equal(store.pending, 1);
  const next = await store.assign(visit('pageview', t0 + 2, { key: 'v' }));
  t.match(next, { sessionId: local.sessionId, snapshot: { pageviews: 2, events: 1 } });
  await until(() => store.pending === 0);
  t.match(await stored(prefix, 'shop.example', 'v'), [t0 + 2, 2, 1]);
});

t.test('a hung Redis costs one beacon the command timeout, then the fallback answers at once', async (t) => {
  const prefix = testPrefix(t);
  const errors: Error[] = [];
  const { store } = await makeStore(t, prefix, { onError: (e) => errors.push(e), clock: () => t0 + 3000 });
  const first = await store.assign(visit('pageview', t0, { key: 'h' }));
  const pauser = new Redis(REDIS_URL);
  t.teardown(() => pauser.quit());
  await pauser.call('CLIENT', 'PAUSE', '600', 'ALL');
  let started = performance.now();
  const timedOut = await store.assign(visit('pageview', t0 + 1000, { key: 'h' }));
  const waited = performance.now() - started;
  t.ok(waited >= 200 && waited < 450, `the first waited the command timeout (${Math.round(waited)} ms)`);
  started = performance.now();
  const r = store.assign(visit('click', t0 + 2000, { key: 'h' }));
  t.notOk(r instanceof Promise, 'the next is answered by the fallback without trying');
  t.equal(errors.length, 2);
  t.equal(timedOut.sessionId, first.sessionId, 'a stall does not split the session: the local copy continues it');
  t.equal((r as SessionAssignment).sessionId, first.sessionId);
  // The paused command ran late in Redis (2 pageviews); locally the same beacon made 2 pageviews too:
  // merging one session by its greatest counts does not count it twice.
  await until(() => store.pending === 0);
  const next = await store.assign(visit('pageview', t0 + 3000, { key: 'h' }));
  t.match(next, { sessionId: first.sessionId, snapshot: { pageviews: 3, events: 1 } });
});

t.test('close quits the client it was given', async (t) => {
  const prefix = testPrefix(t);
  const { store, redis } = await makeStore(t, prefix);
  await store.assign(visit('pageview', t0));
  await store.close();
  t.equal(redis.status, 'end');
  await store.close();
  t.throws(() => new RedisSessionStore({ redis: new Redis({ lazyConnect: true }), timeoutMs: T, fallback: new MemorySessionStore({ timeoutMs: T, max: 1 }) }), TypeError, 'a client without commandTimeout is refused');
});

t.test('while Redis is unreachable: write-back list bounded by maxPending and swept like the fallback', async (t) => {
  const prefix = testPrefix(t);
  const proxy = await startTcpProxy(6379);
  t.teardown(() => proxy.close());
  proxy.cut();
  const redis = createRedisClient(`redis://127.0.0.1:${proxy.port}`);
  const fallback = new MemorySessionStore({ timeoutMs: T, max: 1000, newId });
  const errors: Error[] = [];
  const store = new RedisSessionStore({ redis, timeoutMs: T, keyPrefix: prefix, fallback, newId, maxPending: 2, onError: (e) => errors.push(e) });
  t.teardown(() => store.close());
  for (const [i, key] of ['a', 'b', 'c'].entries()) store.assign(visit('pageview', t0 + i, { key }));
  t.equal(store.pending, 2, 'the oldest is forgotten beyond maxPending');
  t.equal(fallback.size, 3);
  t.equal(errors.length, 3);
  t.equal(errors[0], errors[2], 'one error object per client status, not one per beacon');
  t.equal(store.size, 2, 'size: the sessions waiting for Redis (Redis uncounted while away)');
  t.equal(store.sweep(t0 + T + 2), 3);
  t.equal(store.pending, 0);
  await store.close();
  t.equal(redis.status, 'end', 'closed without waiting for a connection');
});
