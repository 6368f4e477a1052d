import fp from 'fastify-plugin';
import { createMetrics, type Metrics } from '../ops/metrics.js';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics;
  }
}

/**
 * The Prometheus registry and the service's metrics. The plugins that own a value fill in its
 * gauge's source; the pipeline and the writer count through ingest-events and writer-events.
 */
export default fp(
  async (app) => {
    app.decorate('metrics', createMetrics(app.config.redisUrl !== null));
  },
  { name: 'metrics', fastify: '5.x', dependencies: ['config'] },
);
