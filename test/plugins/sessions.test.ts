// The sessions plugin on a bare Fastify instance with what it depends on: the config and metrics
// plugins, and the sink plugin over a fresh SQLite file (the warm-up reads the sessions table).
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import t, { type Test } from 'tap';
import { loadConfig } from '../../src/config.js';
import { MemorySessionStore } from '../../src/pipeline/memory-session-store.js';
import { RedisSessionStore } from '../../src/pipeline/redis-session-store.js';
import type { Visit } from '../../src/pipeline/session-store.js';
import configPlugin from '../../src/plugins/config.js';
import metricsPlugin from '../../src/plugins/metrics.js';
import sessionsPlugin from '../../src/plugins/sessions.js';
import sinkPlugin from '../../src/plugins/sink.js';
import type { SessionSnapshot } from '../../src/sinks/sink.js';
import { TEST_SECRET } from '../helpers/app.js';
import { until } from '../helpers/process.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';

const t0 = Date.UTC(2026, 4, 10, 12);
// A hostname of this run's own: with REDIS_URL the store writes under the default key prefix.
const HOST = `sessions-plugin-${process.pid}.example`;
const userHash = createHash('sha256').update('returning').digest('hex').slice(0, 16);
const redisKey = `beacon:s:${HOST}:${userHash}`;

const admin = new Redis('redis://127.0.0.1:6379');
t.teardown(async () => {
  await admin.del(redisKey);
  await admin.quit();
});

/** A session persisted before a restart, 10 minutes before `t0 + 11 min` (the app's clock). */
const persisted: SessionSnapshot = {
  start: {
    id: '00000000-0000-4000-8000-0000000000aa', hostname: HOST, startedAt: t0, entryUrl: `https://${HOST}/`, entryReferrer: null,
    utmSource: null, utmMedium: null, utmCampaign: null, utmTerm: null, utmContent: null,
  },
  userHash, lastSeenAt: t0 + 60_000, pageviews: 2, events: 1, exitUrl: `https://${HOST}/p`,
};
const now = t0 + 11 * 60_000;

function click(at: number): Visit {
  const url = new URL(`https://${HOST}/q`);
  return { key: userHash, previousKey: null, hostname: HOST, type: 'click', url, href: url.href, referrer: null, now: at };
}

/** The plugin and its dependencies on a bare instance, with `persisted` in the sessions table first. */
async function build(t: Test, env: Record<string, string> = {}) {
  const { config } = loadConfig({ DATA_DIR: mkdtempSync(join(tmpdir(), 'bi-sessions-')), HASH_SECRET: TEST_SECRET, LOG_LEVEL: 'silent', ...env });
  const app = Fastify();
  t.teardown(() => app.close());
  await app.register(configPlugin, { config: { ...config, clock: () => now } });
  await app.register(metricsPlugin);
  await app.register(sinkPlugin);
  await app.sink.writeBatch({ rows: [], sessions: [persisted] });
  await app.register(sessionsPlugin);
  await app.ready();
  return app;
}

t.test('without REDIS_URL: the memory store, warmed from the database, cleared on close', async (t) => {
  const app = await build(t);
  t.type(app.sessions, MemorySessionStore);
  t.equal(app.sessions.size, 1, 'the persisted session was loaded');
  const next = await app.sessions.assign(click(now + 1000));
  t.match(next, { sessionId: persisted.start.id, snapshot: { pageviews: 2, events: 2 } }, 'a returning visitor continues the session from before the restart');
  t.match(await app.metrics.registry.getSingleMetricAsString('beacon_sessions_active'), /beacon_sessions_active 1$/m, 'the gauge reads the store');
  await app.close();
  t.equal(app.sessions.size, 0, 'closed with the app');
});

t.test('with REDIS_URL: the Redis store, warmed into Redis; its connection closed with the app', async (t) => {
  await admin.del(redisKey);
  // Through a proxy: it sees the store's connection open and close.
  const proxy = await startTcpProxy(6379);
  t.teardown(() => proxy.close());
  const app = await build(t, { REDIS_URL: `redis://127.0.0.1:${proxy.port}` });
  t.type(app.sessions, RedisSessionStore);
  t.equal(proxy.answered(), 1, 'one connection to Redis');
  const raw = await admin.get(redisKey);
  t.match(raw === null ? null : JSON.parse(raw), [persisted.lastSeenAt, 2, 1], 'the warm-up wrote the persisted session to Redis');
  const next = await app.sessions.assign(click(now + 1000));
  t.match(next, { sessionId: persisted.start.id, snapshot: { pageviews: 2, events: 2 } });
  t.equal((await app.sessions.assign(click(now + 2000))).snapshot?.events, 3, 'counted in Redis');
  await app.close();
  // The proxy hears of the closed socket an instant after the client: polled, as it has no event.
  t.ok(await until(async () => proxy.answered() === 0, 2000), 'the connection is closed with the app');
});

t.test('with REDIS_URL and Redis away at start: the store starts, sessions held locally, errors counted', async (t) => {
  const proxy = await startTcpProxy(6379);
  t.teardown(() => proxy.close());
  proxy.cut();
  const app = await build(t, { REDIS_URL: `redis://127.0.0.1:${proxy.port}` });
  t.type(app.sessions, RedisSessionStore);
  const r = app.sessions.assign(click(now + 1000));
  t.notOk(r instanceof Promise, 'answered locally, without waiting for Redis');
  t.match(r, { sessionId: persisted.start.id }, 'the warm-up went to the local store');
  t.match(await app.metrics.registry.getSingleMetricAsString('beacon_session_store_errors_total'), /beacon_session_store_errors_total 2$/m,
    'the warm-up and the beacon counted');
  await app.close();
});
