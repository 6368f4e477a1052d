import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import fp from 'fastify-plugin';
import { MemorySessionStore } from '../pipeline/memory-session-store.js';
import type { RedisSessionStore } from '../pipeline/redis-session-store.js';
import type { SessionStore } from '../pipeline/session-store.js';

declare module 'fastify' {
  interface FastifyInstance {
    sessions: SessionStore;
  }
}

// Idle sessions are dropped at least this often (and never later than one timeout).
const SWEEP_EVERY_MS = 60_000;
// How long the start waits for Redis before going on with the local store.
const REDIS_START_WAIT_MS = 2000;
// While Redis is away, one log line per this long (every beacon is counted in the metric).
const ERROR_LOG_EVERY_MS = 10_000;

/**
 * The session store, warmed from the sessions table at start so a restart or a rolling deploy
 * within the timeout does not split anyone's session.
 */
export default fp(
  async (app) => {
    const { config, metrics } = app;
    const local = new MemorySessionStore({
      timeoutMs: config.sessionTimeoutMs,
      max: config.sessionStoreMax,
      // With Redis the local store is a cache of Redis's answers: dropping one loses no session.
      ...(config.redisUrl === null ? { onEvict: () => metrics.sessionsEvicted.inc() } : {}),
    });
    let store: MemorySessionStore | RedisSessionStore = local;
    if (config.redisUrl !== null) {
      // REDIS_URL: one session per visitor across every instance; this process's store stands in while Redis is away.
      let lastLogged = 0;
      // Loaded only here: ioredis costs every start without Redis ~0.1 s of CPU.
      const { createRedisClient, RedisSessionStore } = await import('../pipeline/redis-session-store.js');
      const redis = createRedisClient(config.redisUrl);
      // The warm-up below goes to Redis: give the connection a moment (it works without, through the fallback).
      if (redis.status !== 'ready') await Promise.race([once(redis, 'ready'), sleep(REDIS_START_WAIT_MS, undefined, { ref: false })]).catch(() => {});
      if (redis.status !== 'ready') app.log.warn('Redis (REDIS_URL) is not answering yet: sessions start in this process and move to Redis once it answers');
      store = new RedisSessionStore({
        redis,
        timeoutMs: config.sessionTimeoutMs,
        fallback: local,
        clock: config.clock,
        maxPending: config.sessionStoreMax,
        onError: (err) => {
          metrics.sessionStoreErrors.inc();
          const now = Date.now();
          if (now - lastLogged < ERROR_LOG_EVERY_MS) return;
          lastLogged = now;
          // Redis away or slow (sessions are kept in this process until it is back), or a session it held was not valid.
          app.log.error({ err: err.message }, 'session store (Redis) could not assign a session; see err');
        },
      });
    }
    // Warmed once the database answers (at start, or later after a start without it): until then a
    // returning visitor may open a second session, which the upserts then keep apart.
    const warmUp = async () => {
      try {
        const now = config.clock();
        const persisted = await app.sink.loadActiveSessions(now - config.sessionTimeoutMs, config.sessionStoreMax);
        await store.warm(persisted);
        if (persisted.length > 0) app.log.info({ sessions: persisted.length }, 'session store warmed from the database');
      } catch (err) {
        app.log.error({ err }, 'session store: the warm-up from the database failed; sessions start afresh');
      }
    };
    if (app.store.reached) await warmUp();
    else app.store.whenReached(warmUp);
    metrics.sources.sessionsActive = () => store.size;
    app.decorate<SessionStore>('sessions', store);

    const sweeper = setInterval(() => store.sweep(config.clock()), Math.min(SWEEP_EVERY_MS, config.sessionTimeoutMs)).unref();
    app.addHook('onClose', async () => {
      clearInterval(sweeper);
      await store.close();
    });
  },
  { name: 'sessions', dependencies: ['config', 'metrics', 'sink'] },
);
