import fp from 'fastify-plugin';
import { MemorySessionStore } from '../pipeline/memory-session-store.js';
import type { SessionStore } from '../pipeline/session-store.js';

declare module 'fastify' {
  interface FastifyInstance {
    sessions: SessionStore;
  }
}

// Idle sessions are dropped at least this often (and never later than one timeout).
const SWEEP_EVERY_MS = 60_000;

/**
 * The session store, warmed from the sessions table at start so a restart or a rolling deploy
 * within the timeout does not split anyone's session.
 */
export default fp(
  async (app) => {
    const { config, metrics } = app;
    const store = new MemorySessionStore({
      timeoutMs: config.sessionTimeoutMs,
      max: config.sessionStoreMax,
      onEvict: () => metrics.sessionsEvicted.inc(),
    });
    const now = config.clock();
    const persisted = await app.sink.loadActiveSessions(now - config.sessionTimeoutMs, config.sessionStoreMax);
    store.warm(persisted);
    if (persisted.length > 0) app.log.info({ sessions: persisted.length }, 'session store warmed from the database');
    metrics.sources.sessionsActive = () => store.size;
    app.decorate('sessions', store);

    const sweeper = setInterval(() => store.sweep(config.clock()), Math.min(SWEEP_EVERY_MS, config.sessionTimeoutMs)).unref();
    app.addHook('onClose', async () => {
      clearInterval(sweeper);
      store.close();
    });
  },
  { name: 'sessions', dependencies: ['config', 'metrics', 'sink'] },
);
