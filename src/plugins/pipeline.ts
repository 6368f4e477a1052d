import fp from 'fastify-plugin';
import { Collector } from '../pipeline/collector.js';
import { SaltStore } from '../pipeline/salt-store.js';

declare module 'fastify' {
  interface FastifyInstance {
    collector: Collector;
    salts: SaltStore;
  }
}

/** The per-beacon pipeline, built once from config: validators, allowlists and salts are ready before the first request. */
export default fp(
  async (app) => {
    const { config } = app;
    const salts = new SaltStore(app.sink, config.clock, (err) => app.log.error({ err }, 'salt rotation failed; retrying'));
    await salts.refresh();
    app.decorate('salts', salts);
    app.decorate(
      'collector',
      new Collector({
        allowedOrigins: config.allowedOrigins,
        requireOrigin: config.requireOrigin,
        ipStorage: config.ipStorage,
        hashSecret: config.hashSecret,
        clock: config.clock,
        salts,
        sessions: app.sessions,
        sessionTimeoutMs: config.sessionTimeoutMs,
        queue: app.writer,
        events: app.ingestEvents,
      }),
    );
    app.addHook('onReady', async () => salts.start());
    app.addHook('onClose', async () => salts.stop());
  },
  { name: 'pipeline', dependencies: ['config', 'metrics', 'sink', 'sessions', 'writer'] },
);
