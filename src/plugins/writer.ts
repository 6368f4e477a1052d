import { join } from 'node:path';
import fp from 'fastify-plugin';
import { BatchWriter } from '../buffer/batch-writer.js';
import { DeadLetters } from '../buffer/dead-letters.js';
import { recoverSpools } from '../buffer/recover-spools.js';
import { Spool } from '../buffer/spool.js';

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
    const deadLetters = new DeadLetters(config.spoolDir, { maxBytes: config.deadLetterMaxBytes, onDropped: () => metrics.deadLetterDropped.inc() });
    const spool = await Spool.open({
      dir: config.spoolDir,
      maxBytes: config.spoolMaxBytes,
      onWriteError: (err, rows) => {
        metrics.rejected.inc({ reason: 'overflow' }, rows);
        log.error({ err, rows }, 'spool write failed; these rows are lost');
      },
      onSegmentLost: (err, segment, rows) => log.error({ err, segment, rows }, 'spool segment gone (deleted?); its rows are lost'),
    });
    // The WAL is never capped: its rows are already accepted (and in memory).
    const walOptions = {
      dir: join(config.spoolDir, 'wal'),
      maxBytes: Number.MAX_SAFE_INTEGER,
      groupMs: 2,
      // The rows stay in memory and are written as usual; they are just not crash-safe.
      onWriteError: (err: unknown, rows: number) => log.error({ err, rows }, 'write-ahead log write failed; these rows are not crash-safe'),
    };
    const { wal, fromWal, fromWorkers } = await recoverSpools({
      spool,
      dir: config.spoolDir,
      wal: walOptions,
      keepWal: config.bufferDurability === 'disk',
      deadLetters,
      spoolDamaged: (...a) => writerEvents.spoolDamaged(...a),
    });
    if (fromWal > 0) log.warn({ rows: fromWal }, 'write-ahead log from an unclean stop found; its rows are replayed (those already written are skipped)');
    for (const { dir, rows } of fromWorkers) log.warn({ rows, dir }, "a worker's spool from an earlier run was taken over; its rows are replayed");
    if (spool.rows > 0) log.info({ rows: spool.rows, dir: config.spoolDir }, 'spool from an earlier run found; replaying it first');
    const writer = new BatchWriter({
      sink: app.sink,
      capacity: config.bufferCapacity,
      maxBytes: config.bufferMaxBytes,
      flushMaxRows: config.flushMaxRows,
      flushIntervalMs: config.flushIntervalMs,
      spool,
      deadLetters,
      wal,
      events: app.writerEvents,
    });
    metrics.sources.bufferRows = () => writer.size;
    metrics.sources.spoolRows = () => writer.spooled;
    app.decorate('writer', writer);
    app.addHook('onReady', async () => writer.start());
    // Started without the database: write what waited as soon as it answers, not at the next retry.
    if (!app.store.reached) app.store.whenReached(() => void writer.flush());
    app.addHook('onClose', async () => {
      writer.stop();
      const buffered = writer.size + writer.spooled;
      const { written, left } = await writer.drain(config.shutdownTimeoutMs);
      let spilled = 0;
      try {
        spilled = await writer.spill();
        await spool.close();
        await wal?.close();
      } catch (err) {
        log.error({ err, dir: config.spoolDir }, 'shutdown: the spool could not be written');
      }
      if (spilled > 0 || writer.spooled > 0) {
        log.warn({ written, spooled: writer.spooled, dir: config.spoolDir }, 'shutdown: the database did not take everything in time; the rest is in the spool and is written at the next start');
      } else if (buffered > 0) {
        log.info({ written }, 'shutdown: buffer drained');
      }
      if (left > spilled) log.error({ lost: left - spilled }, 'shutdown: rows could not be spooled');
    });
  },
  { name: 'writer', dependencies: ['config', 'metrics', 'sink'] },
);
