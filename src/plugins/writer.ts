import { join } from 'node:path';
import fp from 'fastify-plugin';
import { BatchWriter } from '../buffer/batch-writer.js';
import { DeadLetters } from '../buffer/dead-letters.js';
import { holdsSegments, workerSpoolDirs } from '../buffer/spool-layout.js';
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
    });
    // Lines of a crashed WAL or a worker's spool that do not decode are reported like the spool's own at replay.
    const takeOver = async (from: Spool, source: string): Promise<number> => {
      const { moved, bad } = await from.moveBefore(spool);
      if (bad.length > 0) writerEvents.spoolDamaged(bad.length, source, await deadLetters.writeUnreadable(bad));
      return moved;
    };
    let wal: Spool | null = null;
    // The WAL is never capped: its rows are already accepted (and in memory).
    const walOptions = {
      dir: join(config.spoolDir, 'wal'),
      maxBytes: Number.MAX_SAFE_INTEGER,
      groupMs: 2,
      // The rows stay in memory and are written as usual; they are just not crash-safe.
      onWriteError: (err: unknown, rows: number) => log.error({ err, rows }, 'write-ahead log write failed; these rows are not crash-safe'),
    };
    if (config.bufferDurability === 'disk' || (await holdsSegments(walOptions.dir))) {
      const left = await Spool.open(walOptions);
      // A WAL left by a crash: its rows were accepted and may not be written yet; they are older than the spool's.
      const moved = await takeOver(left, walOptions.dir);
      if (moved > 0) log.warn({ rows: moved }, 'write-ahead log from an unclean stop found; its rows are replayed (those already written are skipped)');
      if (config.bufferDurability === 'disk') wal = left;
    }
    // Spools of worker processes (WORKERS>1, `worker-N`) from an earlier run are taken over here:
    // after WORKERS went down, or back to 1, nobody else would replay them.
    for (const dir of await workerSpoolDirs(config.spoolDir)) {
      let moved = 0;
      // Prepended in turn: the worker's WAL rows end up first, then its spool's, then ours.
      for (const sub of [dir, join(dir, 'wal')]) {
        if (!(await holdsSegments(sub))) continue;
        const orphan = await Spool.open({ dir: sub, maxBytes: Number.MAX_SAFE_INTEGER });
        moved += await takeOver(orphan, sub);
        await orphan.close();
      }
      if (moved > 0) log.warn({ rows: moved, dir }, "a worker's spool from an earlier run was taken over; its rows are replayed");
    }
    if (spool.rows > 0) log.info({ rows: spool.rows, dir: config.spoolDir }, 'spool from an earlier run found; replaying it first');
    const writer = new BatchWriter({
      sink: app.sink,
      capacity: config.bufferCapacity,
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
