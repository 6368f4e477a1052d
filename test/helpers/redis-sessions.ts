// What the Redis session store's tests share (test/pipeline/redis-session-store*.test.ts): a real
// Redis on 127.0.0.1:6379, key prefixes deleted at the end of each test, stores built on them, and
// ids and visitor hashes shaped as the service makes them.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import t, { type Test } from 'tap';
import { MemorySessionStore } from '../../src/pipeline/memory-session-store.js';
import { createRedisClient, RedisSessionStore, type RedisSessionStoreOptions } from '../../src/pipeline/redis-session-store.js';
import type { SessionAssignment, Visit } from '../../src/pipeline/session-store.js';
import type { BeaconType } from '../../src/sinks/sink.js';
import { until as poll } from './process.js';

export const REDIS_URL = 'redis://127.0.0.1:6379';
export const T = 30 * 60_000;
export const t0 = Date.UTC(2026, 4, 10, 12);
let ids = 0;
// Ids and visitor hashes shaped as the service makes them: a session that is not (row-codec.ts's
// check) counts as none when read back from Redis.
export const newId = () => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`;
/** A visitor hash (16 hex digits) for a readable name. */
export const hash = (name: string) => createHash('sha256').update(name).digest('hex').slice(0, 16);
let prefixes = 0;

export const admin = new Redis(REDIS_URL);
t.teardown(() => admin.quit());

export function visit(type: BeaconType, now: number, over: Partial<Visit> = {}): Visit {
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
export function testPrefix(t: Test): string {
  const prefix = `beacon:test:${process.pid}:${++prefixes}:`;
  t.teardown(() => deleteUnder(prefix));
  return prefix;
}

export type StoreOptions = Partial<Omit<RedisSessionStoreOptions, 'redis'>> & { url?: string };

export async function makeStore(t: Test, keyPrefix: string, options: StoreOptions = {}): Promise<{ store: RedisSessionStore; redis: Redis; fallback: MemorySessionStore }> {
  const redis = createRedisClient(options.url ?? REDIS_URL);
  if (redis.status !== 'ready') await once(redis, 'ready');
  const fallback = options.fallback ?? new MemorySessionStore({ timeoutMs: T, max: 1000, newId });
  const store = new RedisSessionStore({ timeoutMs: T, newId, ...options, redis, keyPrefix, fallback });
  t.teardown(() => store.close());
  return { store, redis, fallback };
}

export async function stored(prefix: string, hostname: string, key: string): Promise<unknown[] | null> {
  const raw = await admin.get(`${prefix}${hostname}:${hash(key)}`);
  return raw === null ? null : (JSON.parse(raw) as unknown[]);
}

/** Session ids replaced by their order of appearance, so two runs with different id sources compare. */
export function idNormalizer(): (r: SessionAssignment) => SessionAssignment {
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

/** Waits for `condition` (polled: the write-back list emptying has no event); throws after `ms`. */
export async function until(condition: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  if (!(await poll(async () => condition(), ms, 20))) throw new Error('condition not met in time');
}
