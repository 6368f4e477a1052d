import fp from 'fastify-plugin';
import { BatchWriter } from '../buffer/batch-writer.js';

declare module 'fastify' {
  interface FastifyInstance {
    writer: BatchWriter;
  }
}

/**
 * The buffer and its batch writer. Depends on the sink so that, hooks running in reverse
 * registration order, the final drain here runs before the sink's pool closes.
 */
export default fp(
  async (app) => {
    const { config } = app;
    const writer = new BatchWriter({
      sink: app.sink,
      capacity: config.bufferCapacity,
      flushMaxRows: config.flushMaxRows,
      flushIntervalMs: config.flushIntervalMs,
      events: app.writerEvents,
    });
    app.metrics.sources.bufferRows = () => writer.size;
    app.decorate('writer', writer);
    app.addHook('onReady', async () => writer.start());
    app.addHook('onClose', async () => {
      writer.stop();
      const buffered = writer.size;
      const { written, left } = await writer.drain(config.shutdownTimeoutMs);
      if (left > 0) {
        app.log.error({ written, lost: left }, 'shutdown: the database did not take every buffered row in time');
      } else if (buffered > 0) {
        app.log.info({ written }, 'shutdown: buffer drained');
      }
    });
  },
  { name: 'writer', dependencies: ['config', 'metrics', 'sink'] },
);
