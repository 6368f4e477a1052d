// The two Lua scripts on their own, against a real Redis on 127.0.0.1:6379: merge-if-newer (warm,
// write-back), assign's join-only kind and seed, and values that are not sessions.
import { Redis } from 'ioredis';
import t, { type Test } from 'tap';
import { encodeSession } from '../../src/pipeline/redis-session-codec.js';
import { defineSessionScripts } from '../../src/pipeline/redis-session-scripts.js';
import type { SessionSnapshot } from '../../src/sinks/sink.js';

const T = 30 * 60_000;
const t0 = Date.UTC(2026, 4, 10, 12);
const redis = new Redis('redis://127.0.0.1:6379');
defineSessionScripts(redis);
t.teardown(() => redis.quit());

let keys = 0;
/** A key of its own for one test, deleted when the test ends. */
function testKey(t: Test): string {
  const key = `beacon:test:scripts:${process.pid}:${++keys}`;
  t.teardown(() => redis.del(key));
  return key;
}

function session(over: Partial<SessionSnapshot> = {}, id = '00000000-0000-4000-8000-000000000001'): SessionSnapshot {
  return {
    start: { id, hostname: 'shop.example', startedAt: t0, entryUrl: 'https://shop.example/', entryReferrer: null, utmSource: null, utmMedium: null, utmCampaign: null, utmTerm: null, utmContent: null },
    userHash: '0123456789abcdef', lastSeenAt: t0, pageviews: 1, events: 0, exitUrl: 'https://shop.example/', ...over,
  };
}
const held = async (key: string) => {
  const raw = await redis.get(key);
  return raw === null ? null : (JSON.parse(raw) as unknown[]);
};

t.test('merge writes a session Redis does not hold, with the time it has left as TTL', async (t) => {
  const key = testKey(t);
  t.equal(await redis.beaconSessionMerge(key, t0 + 10 * 60_000, T, encodeSession(session())), 1);
  t.match(await held(key), [t0, 1, 0]);
  const ttl = await redis.pttl(key);
  // Within 5 s: a loaded machine took 199 ms between the write and PTTL; 30 or 10 minutes would fail.
  t.ok(ttl > 20 * 60_000 - 5000 && ttl <= 20 * 60_000, `PTTL ${ttl}: 20 minutes left`);
  t.equal(await redis.beaconSessionMerge(testKey(t), t0 + T, T, encodeSession(session())), 0, 'already expired: not written');
});

t.test('merge of the same session keeps the greatest counts and the later exit page', async (t) => {
  const key = testKey(t);
  await redis.beaconSessionMerge(key, t0, T, encodeSession(session({ lastSeenAt: t0 + 5000, pageviews: 4, events: 1, exitUrl: 'https://shop.example/late' })));
  t.equal(await redis.beaconSessionMerge(key, t0, T, encodeSession(session({ lastSeenAt: t0 + 1000, pageviews: 2, events: 1 }))), 0, 'older and smaller: nothing changes');
  t.equal(await redis.beaconSessionMerge(key, t0, T, encodeSession(session({ lastSeenAt: t0 + 1000, pageviews: 2, events: 3, exitUrl: 'https://shop.example/early' }))), 1);
  t.match(await held(key), [t0 + 5000, 4, 3, 'https://shop.example/late'], 'events raised, the exit page of the later beacon kept');
});

t.test('merge of another session: the one seen last wins, a tie keeps what Redis holds', async (t) => {
  const key = testKey(t);
  const other = '00000000-0000-4000-8000-000000000002';
  await redis.beaconSessionMerge(key, t0, T, encodeSession(session({ lastSeenAt: t0 + 1000 })));
  t.equal(await redis.beaconSessionMerge(key, t0, T, encodeSession(session({ lastSeenAt: t0 + 1000, pageviews: 9 }, other))), 0);
  t.equal((await held(key))?.[5], '00000000-0000-4000-8000-000000000001');
  t.equal(await redis.beaconSessionMerge(key, t0, T, encodeSession(session({ lastSeenAt: t0 + 1001 }, other))), 1);
  t.equal((await held(key))?.[5], other);
});

t.test('values that are not sessions: refused as input, overwritten when held', async (t) => {
  const key = testKey(t);
  for (const bad of ['not json', '{"a":1}', '[1,2,3]', '["x",1,0,null,"h","id"]']) {
    t.equal(await redis.beaconSessionMerge(key, t0, T, bad), 0, `not written: ${bad}`);
  }
  t.equal(await redis.exists(key), 0);
  await redis.set(key, '[1,2', 'PX', 60_000);
  t.equal(await redis.beaconSessionMerge(key, t0, T, encodeSession(session())), 1, 'an unreadable held value counts as none');
  t.match(await held(key), [t0, 1, 0]);
});

t.test("assign: 'n' joins an active session without writing; the seed is merged in first", async (t) => {
  const key = testKey(t);
  const candidate = encodeSession(session({ lastSeenAt: t0 + 60_000, pageviews: 1 }, '00000000-0000-4000-8000-000000000009'));
  t.equal(await redis.beaconSessionAssign(key, key, t0, T, 'n', '', '', '', ''), null, 'no session: nothing to join');
  t.equal(await redis.exists(key), 0, 'and nothing written');
  const seed = encodeSession(session({ lastSeenAt: t0 + 30_000, pageviews: 2, events: 1 }));
  const out = await redis.beaconSessionAssign(key, key, t0 + 60_000, T, 'e', 'https://shop.example/x', 'fedcba9876543210', candidate, seed);
  t.match(JSON.parse(out as string), [t0 + 60_000, 2, 2, 'https://shop.example/', 'fedcba9876543210', '00000000-0000-4000-8000-000000000001'],
    "the fallback's session continues (events + 1), not the candidate");
  const [valueBefore, ttlBefore] = [await redis.get(key), await redis.pttl(key)];
  t.equal(await redis.beaconSessionAssign(key, key, t0 + 90_000, T, 'n', '', '', '', ''), '00000000-0000-4000-8000-000000000001');
  t.equal(await redis.get(key), valueBefore, 'the join writes nothing');
  // A write at +90 s would set PX to the timeout minus 30 s.
  const ttlAfter = await redis.pttl(key);
  t.ok(ttlAfter > ttlBefore - 1000, `PTTL ${ttlAfter} (was ${ttlBefore}): not set again`);
  t.equal(await redis.beaconSessionAssign(key, key, t0 + 60_000 + T, T, 'n', '', '', '', ''), null, 'after the timeout: nothing to join');
});
