import type { FastifyInstance } from 'fastify';

// /ready turns 503 before the buffer is full, so a load balancer moves traffic away before loss.
const READY_MAX_FILL = 0.9;

/** GET /health (the process serves; database state and buffer fill) and GET /ready. */
export default async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/health', async () => {
    let database: 'up' | 'down' = 'up';
    try {
      await app.sink.ping();
    } catch {
      database = 'down';
    }
    const { writer } = app;
    return {
      status: 'ok',
      database,
      draining: app.draining,
      buffer: { rows: writer.size, capacity: writer.capacity, fill: writer.size / writer.capacity },
      written: writer.written,
    };
  });

  app.get('/ready', async (_req, reply) => {
    const fill = app.writer.size / app.writer.capacity;
    if (app.draining) return reply.code(503).send({ ready: false, reason: 'draining' });
    if (fill >= READY_MAX_FILL) return reply.code(503).send({ ready: false, reason: 'buffer nearly full' });
    return { ready: true };
  });
}
