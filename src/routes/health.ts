import type { FastifyInstance } from 'fastify';
import { DatabaseProbe } from '../sinks/database-probe.js';
import { bearerToken } from './bearer-token.js';

// /ready turns 503 before memory and disk are both full, so a load balancer moves traffic away before loss.
const READY_MAX_FILL = 0.9;

// What anyone may see of /health when METRICS_TOKEN is set: enough for a container healthcheck.
const BARE = { status: 'ok' } as const;

/**
 * GET /health (the process serves; database state and buffer fill) and GET /ready. With
 * ADMIN_PORT they are registered on the admin instance and read the service's state from `source`.
 * With METRICS_TOKEN, /health's detail (database, buffer, spool) is for the token's holder only.
 */
export default async function healthRoutes(routes: FastifyInstance, opts: { source?: FastifyInstance }): Promise<void> {
  const app = opts.source ?? routes;
  const authorized = bearerToken(app.config.metricsToken);
  const probe = new DatabaseProbe({ ping: () => app.sink.ping(), failing: () => app.writer.failing });
  routes.get('/health', async (req) => {
    if (authorized !== null && !authorized(req.headers.authorization)) return BARE;
    const { writer } = app;
    return {
      status: 'ok',
      database: await probe.state(),
      draining: app.draining,
      buffer: { rows: writer.size, capacity: writer.capacity, fill: writer.size / writer.capacity },
      spool: { rows: writer.spooled },
      flushFailing: writer.failing,
      written: writer.written,
      pressure: app.memoryUsage(),
      underPressure: app.isUnderPressure(),
    };
  });

  const spoolMax = app.config.spoolMaxBytes;
  routes.get('/ready', async (_req, reply) => {
    const { writer } = app;
    if (app.draining) return reply.code(503).send({ ready: false, reason: 'draining' });
    const ringFull = writer.size / writer.capacity >= READY_MAX_FILL;
    const spoolFull = spoolMax === 0 || writer.spooledBytes >= READY_MAX_FILL * spoolMax;
    if (ringFull && spoolFull) return reply.code(503).send({ ready: false, reason: 'buffer and spool nearly full' });
    if (app.isUnderPressure()) return reply.code(503).send({ ready: false, reason: 'event loop stalled' });
    return { ready: true };
  });
}
