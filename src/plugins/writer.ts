import fp from 'fastify-plugin';
import { BatchWriter } from '../buffer/batch-writer.js';
import { DeadLetters } from '../buffer/dead-letters.js';
import { openSpools } from '../buffer/open-spools.js';
import { shutDownWriter } from '../buffer/shut-down-writer.js';

declare module 'fastify' {
  interface FastifyInstance {
    writer: BatchWriter;
  }
}

/**
 * The buffer, the spool and the batch writer. Depends on the sink so that, hooks running in
 * reverse registration order, the final drain here runs before the sink's pool closes.
 */
export default fp(
  async (app) => {
    const { config, metrics, log, writerEvents } = app;
    const dir = config.spoolDir;
    const deadLetters = new DeadLetters(dir, { maxBytes: config.deadLetterMaxBytes, onDropped: () => metrics.deadLetterDropped.inc() });
    const { spool, wal, fromWal, fromWorkers } = await openSpools({
      dir,
      maxBytes: config.spoolMaxBytes,
      durable: config.bufferDurability === 'disk',
      deadLetters,
      spoolDamaged: (...a) => writerEvents.spoolDamaged(...a),
      onSpoolWriteError: (err, rows) => {
        metrics.rejected.inc({ reason: 'overflow' }, rows);
        log.error({ err, rows }, 'spool write failed; these rows are lost');
      },
      onSegmentLost: (err, segment, rows) => log.error({ err, segment, rows }, 'spool segment gone (deleted?); its rows are lost'),
      onWalWriteError: (err, rows) => log.error({ err, rows }, 'write-ahead log write failed; these rows are not crash-safe'),
    });
    if (fromWal > 0) log.warn({ rows: fromWal }, 'write-ahead log from an unclean stop found; its rows are replayed (those already written are skipped)');
    for (const { dir, rows } of fromWorkers) log.warn({ rows, dir }, "a worker's spool from an earlier run was taken over; its rows are replayed");
    if (spool.rows > 0) log.info({ rows: spool.rows, dir }, 'spool from an earlier run found; replaying it first');
    const writer = new BatchWriter({
      sink: app.sink,
      capacity: config.bufferCapacity,
      maxBytes: config.bufferMaxBytes,
      flushMaxRows: config.flushMaxRows,
      flushIntervalMs: config.flushIntervalMs,
      spool,
      deadLetters,
      wal,
      events: writerEvents,
    });
    metrics.sources.bufferRows = () => writer.size;
    metrics.sources.spoolRows = () => writer.spooled;
    app.decorate('writer', writer);
    app.addHook('onReady', async () => writer.start());
    // Started without the database: write what waited as soon as it answers, not at the next retry.
    if (!app.store.reached) app.store.whenReached(() => void writer.flush());
    app.addHook('onClose', async () => {
      const end = await shutDownWriter(writer, { spool, wal, timeoutMs: config.shutdownTimeoutMs });
      if (end.spoolError !== null) log.error({ err: end.spoolError, dir }, 'shutdown: the spool could not be written');
      if (end.spilled > 0 || end.spooled > 0) {
        log.warn({ written: end.written, spooled: end.spooled, dir }, 'shutdown: the database did not take everything in time; the rest is in the spool and is written at the next start');
      } else if (end.buffered > 0) {
        log.info({ written: end.written }, 'shutdown: buffer drained');
      }
      if (end.lost > 0) log.error({ lost: end.lost }, 'shutdown: rows could not be spooled');
    });
  },
  { name: 'writer', dependencies: ['config', 'metrics', 'writer-events', 'sink'] },
);
