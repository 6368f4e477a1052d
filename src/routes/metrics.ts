import type { FastifyInstance } from 'fastify';
import { bearerToken } from './bearer-token.js';

/** GET /metrics in Prometheus text; behind `Authorization: Bearer METRICS_TOKEN` when that is set. */
export default async function metricsRoutes(routes: FastifyInstance, opts: { source?: FastifyInstance }): Promise<void> {
  const app = opts.source ?? routes;
  const authorized = bearerToken(app.config.metricsToken);
  const { metrics } = app;

  routes.get('/metrics', async (req, reply) => {
    if (authorized !== null && !authorized(req.headers.authorization)) {
      return reply.code(401).header('WWW-Authenticate', 'Bearer').send();
    }
    const { text, contentType } = await metrics.collect();
    return reply.type(contentType).send(text);
  });
}
