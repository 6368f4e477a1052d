import Fastify from 'fastify';
import fp from 'fastify-plugin';
import healthRoutes from '../routes/health.js';
import metricsRoutes from '../routes/metrics.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** With ADMIN_PORT: the instance serving /metrics, /health and /ready (server.ts listens on it). */
    admin: FastifyInstance | null;
  }
}

/**
 * Where the ops routes live: on the public instance, or with ADMIN_PORT on an instance of their
 * own, so /metrics and /health can stay on a private network while /collect faces the internet.
 */
export default fp(
  async (app) => {
    if (app.config.adminPort === null) {
      app.decorate('admin', null);
      await app.register(healthRoutes, {});
      await app.register(metricsRoutes, {});
      return;
    }
    const admin = Fastify({ loggerInstance: app.log.child({ instance: 'admin' }) });
    await admin.register(healthRoutes, { source: app });
    await admin.register(metricsRoutes, { source: app });
    app.decorate('admin', admin);
    // Closed with the service; registered after the sink, so this runs before the pool closes.
    app.addHook('onClose', async () => admin.close());
  },
  { name: 'admin', dependencies: ['config', 'metrics', 'pressure', 'sink', 'writer'] },
);
