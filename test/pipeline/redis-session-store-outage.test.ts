// The Redis session store when Redis is away or hung: the fallback answers, sessions continue
// locally and are written back, and what waits for Redis stays bounded.
import { once } from 'node:events';
import { Redis } from 'ioredis';
import t from 'tap';
import { MemorySessionStore } from '../../src/pipeline/memory-session-store.js';
import { createRedisClient, RedisSessionStore, SessionStoreUnavailableError } from '../../src/pipeline/redis-session-store.js';
import { advanceSession, type SessionAssignment } from '../../src/pipeline/session-store.js';
import { hash, makeStore, newId, stored, T, t0, testPrefix, until, visit } from '../helpers/redis-sessions.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';

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
  // Hung behind a proxy of its own: CLIENT PAUSE on the real Redis also stalled every other test
  // using it meanwhile (the other Redis test files run beside this one).
  const proxy = await startTcpProxy(6379);
  t.teardown(() => proxy.close());
  const { store } = await makeStore(t, prefix, { url: `redis://127.0.0.1:${proxy.port}`, onError: (e) => errors.push(e), clock: () => t0 + 3000 });
  const first = await store.assign(visit('pageview', t0, { key: 'h' }));
  proxy.stall(600);
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
  // The held command ran late in Redis (2 pageviews); locally the same beacon made 2 pageviews too:
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
