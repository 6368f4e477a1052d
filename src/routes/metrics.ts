import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

/** GET /metrics in Prometheus text; behind `Authorization: Bearer METRICS_TOKEN` when that is set. */
export default async function metricsRoutes(routes: FastifyInstance, opts: { source?: FastifyInstance }): Promise<void> {
  const app = opts.source ?? routes;
  const token = app.config.metricsToken;
  const expected = token === undefined ? null : Buffer.from(`Bearer ${token}`);
  const { metrics } = app;

  routes.get('/metrics', async (req, reply) => {
    if (expected !== null) {
      const given = Buffer.from(req.headers.authorization ?? '');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return reply.code(401).header('WWW-Authenticate', 'Bearer').send();
      }
    }
    const { text, contentType } = await metrics.collect();
    return reply.type(contentType).send(text);
  });
}
