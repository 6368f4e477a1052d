// The Redis session store's outage side on its own: what it remembers for write-back, and the
// write-back itself against a real Redis on 127.0.0.1:6379 (through a proxy that can cut it).
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import t, { type Test } from 'tap';
import { MemorySessionStore } from '../../src/pipeline/memory-session-store.js';
import { RedisAvailability } from '../../src/pipeline/redis-availability.js';
import { createRedisClient } from '../../src/pipeline/redis-client.js';
import { RedisFallback } from '../../src/pipeline/redis-fallback.js';
import { defineSessionScripts } from '../../src/pipeline/redis-session-scripts.js';
import type { Visit } from '../../src/pipeline/session-store.js';
import type { BeaconType } from '../../src/sinks/sink.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';

const T = 30 * 60_000;
const t0 = Date.UTC(2026, 4, 10, 12);
let ids = 0;
const newId = () => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`;
const hash = (name: string) => createHash('sha256').update(name).digest('hex').slice(0, 16);
let prefixes = 0;

function visit(type: BeaconType, now: number, key: string, previousKey: string | null = null): Visit {
  const url = new URL('https://shop.example/');
  return { key: hash(key), previousKey: previousKey === null ? null : hash(previousKey), hostname: 'shop.example', type, url, href: url.href, referrer: null, now };
}

interface Setup { fallback: RedisFallback; local: MemorySessionStore; availability: RedisAvailability; keyOf: (h: string, v: string) => string }

/** A fallback over `redis` (scripts defined), closed when the test ends; keys under a prefix of its own. */
function setup(t: Test, redis: Redis, options: { maxPending?: number; clock?: () => number } = {}): Setup {
  const prefix = `beacon:test:fallback:${process.pid}:${++prefixes}:`;
  const keyOf = (hostname: string, visitorHash: string) => `${prefix}${hostname}:${visitorHash}`;
  const local = new MemorySessionStore({ timeoutMs: T, max: 1000, newId });
  const availability = new RedisAvailability(redis);
  const fallback = new RedisFallback({ redis, availability, local, timeoutMs: T, clock: options.clock ?? (() => t0 + 10_000), maxPending: options.maxPending ?? 100, keyOf });
  t.teardown(async () => {
    await fallback.close();
    local.close();
  });
  return { fallback, local, availability, keyOf };
}

/** A client that never connects: the fallback's offline bookkeeping alone. */
function offline(t: Test): Redis {
  const redis = new Redis({ lazyConnect: true });
  t.teardown(() => redis.disconnect());
  return redis;
}

t.test('beacons assigned locally are remembered for write-back, one entry per visitor, the oldest forgotten beyond maxPending', async (t) => {
  const { fallback, local, keyOf } = setup(t, offline(t), { maxPending: 2 });
  const a = fallback.assign(visit('pageview', t0, 'a'));
  const a2 = fallback.assign(visit('click', t0 + 1, 'a'));
  t.equal(a2.sessionId, a.sessionId, 'the local store continues the session');
  t.equal(fallback.pending, 1);
  t.equal(fallback.held(keyOf('shop.example', hash('a'))), a2.snapshot, 'the latest snapshot is the one to write back');
  t.same(fallback.assign(visit('performance', t0 + 2, 'a')).snapshot, null);
  t.equal(fallback.pending, 1, 'a join changes nothing to write back');
  fallback.assign(visit('pageview', t0 + 3, 'b'));
  fallback.assign(visit('click', t0 + 4, 'a')); // a becomes the newest
  fallback.assign(visit('pageview', t0 + 5, 'c'));
  t.equal(fallback.pending, 2);
  t.equal(fallback.held(keyOf('shop.example', hash('b'))), undefined, 'b, the oldest, forgotten');
  t.equal(local.size, 3, 'the local store still holds it');
});

t.test("after midnight the session moves to today's key: yesterday's is not written back too", async (t) => {
  const { fallback, keyOf } = setup(t, offline(t));
  const before = fallback.assign(visit('pageview', t0, 'yesterday'));
  const after = fallback.assign(visit('pageview', t0 + 1, 'today', 'yesterday'));
  t.equal(after.sessionId, before.sessionId);
  t.equal(fallback.pending, 1);
  t.ok(fallback.held(keyOf('shop.example', hash('today'))));
});

t.test('written() forgets only the snapshot that was written; keep() and sweep()', async (t) => {
  const { fallback, keyOf } = setup(t, offline(t));
  const key = keyOf('shop.example', hash('v'));
  const first = fallback.assign(visit('pageview', t0, 'v')).snapshot!;
  const second = fallback.assign(visit('click', t0 + 1, 'v')).snapshot!;
  fallback.written(key, first);
  t.equal(fallback.held(key), second, 'advanced meanwhile: still to write');
  fallback.written(key, second);
  t.equal(fallback.pending, 0);

  fallback.keep([{ ...second, lastSeenAt: t0 + 100 }]);
  fallback.keep([{ ...second, lastSeenAt: t0 + 50, pageviews: 7 }]);
  t.equal(fallback.held(key)?.lastSeenAt, t0 + 100, 'an older copy does not replace a newer one');
  fallback.sweep(t0 + 100 + T - 1);
  t.equal(fallback.pending, 1, 'kept until idle for the timeout');
  fallback.sweep(t0 + 100 + T);
  t.equal(fallback.pending, 0);
});

t.test('recover writes what is pending to Redis with merge-if-newer, oldest first, and forgets it', async (t) => {
  const redis = createRedisClient('redis://127.0.0.1:6379');
  if (redis.status !== 'ready') await once(redis, 'ready');
  t.teardown(() => redis.quit());
  defineSessionScripts(redis);
  const { fallback, keyOf } = setup(t, redis);
  const keys = ['r1', 'r2', 'r3'].map((k) => keyOf('shop.example', hash(k)));
  t.teardown(() => redis.del(...keys));
  // What Redis holds for r1 is newer: merge-if-newer keeps it.
  const local = fallback.assign(visit('pageview', t0, 'r1')).snapshot!;
  await redis.set(keys[0]!, JSON.stringify([t0 + 5000, 4, 0, 'https://shop.example/', hash('r1'), local.start.id, 'shop.example', t0, 'https://shop.example/', null, null, null, null, null, null]), 'PX', 60_000);
  fallback.assign(visit('pageview', t0 + 1, 'r2'));
  fallback.assign(visit('event', t0 + 2, 'r3'));
  await fallback.recover();
  t.equal(fallback.pending, 0);
  t.match(JSON.parse((await redis.get(keys[0]!))!), [t0 + 5000, 4], 'a newer state in Redis is not overwritten');
  t.match(JSON.parse((await redis.get(keys[1]!))!), [t0 + 1, 1, 0]);
  t.match(JSON.parse((await redis.get(keys[2]!))!), [t0 + 2, 0, 1]);
});

t.test('a write-back that fails keeps the sessions and suspends Redis; close writes back what remains', async (t) => {
  const proxy = await startTcpProxy(6379);
  t.teardown(() => proxy.close());
  const redis = createRedisClient(`redis://127.0.0.1:${proxy.port}`);
  redis.on('error', () => {}); // the cut below; the store listens for these
  if (redis.status !== 'ready') await once(redis, 'ready');
  t.teardown(() => redis.disconnect());
  defineSessionScripts(redis);
  const { fallback, availability, keyOf } = setup(t, redis);
  const key = keyOf('shop.example', hash('f'));
  t.teardown(() => redis.del(key).catch(() => {}));
  const s = fallback.assign(visit('pageview', t0, 'f')).snapshot!;
  proxy.cut();
  // Not events.once: it rejects on the 'error' the cut also emits.
  if (redis.status === 'ready') await new Promise((resolve) => redis.once('close', resolve));
  t.same(await fallback.merge([[key, s]], t0 + 10_000), [s], 'a merge that cannot be sent reports the snapshot as not written');
  t.notOk(availability.usable(), 'and Redis is suspended');
  await fallback.recover();
  t.equal(fallback.pending, 1, 'recover while Redis is away writes nothing and keeps it');
  proxy.heal();
  await new Promise((resolve) => redis.once('ready', resolve));
  t.notOk(availability.usable(), 'still suspended: the failure was less than a second ago');
  availability.resume(); // what the store does on the client's ready event
  await fallback.close();
  t.equal(fallback.pending, 0, 'close wrote it back');
  const held = await redis.get(key);
  t.equal(held === null ? null : (JSON.parse(held) as unknown[])[5], s.start.id);
});
