import fp from 'fastify-plugin';
import { stdSerializers } from 'pino';
import type { WriterEvents } from '../buffer/batch-writer.js';
import { DatabaseRecovery } from '../ops/database-recovery.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** What the writer reports: counters, error lines, and one line when the database is back. */
    writerEvents: WriterEvents;
  }
}

/** The writer's reports turned into counters and log lines; beacon_database_up follows its flushes. */
export default fp(
  async (app) => {
    const { metrics: m, log, queryStrip } = app;
    const recovery = new DatabaseRecovery({
      clock: Date.now,
      waiting: () => m.sources.bufferRows() + m.sources.spoolRows(),
      report: ({ awaySeconds, failedFlushes, rows, waiting }) =>
        log.info(
          { awaySeconds, failedFlushes, rows, waiting },
          `database reachable again after ${awaySeconds.toFixed(1)} s (${failedFlushes} failed flushes); ${rows} rows written, ${waiting} still waiting`,
        ),
    });
    m.sources.databaseUp = () => (recovery.away ? 0 : 1);
    app.decorate<WriterEvents>('writerEvents', {
      flushed: (rows, seconds) => {
        m.rowsWritten.inc(rows);
        m.flushDuration.observe(seconds);
        recovery.flushed(rows);
      },
      flushFailed: (err, rows, retryInMs) => {
        m.flushFailures.inc();
        // A failure with no rows is the spool's (a segment not read or not removed), not the database's.
        if (rows > 0) recovery.failed();
        log.error({ err, rows, retryInMs }, 'flush failed; rows kept for the next attempt');
      },
      deadLettered: (err, row, kept, writeError) => {
        m.deadLetterRows.inc({ reason: 'refused' });
        const url = queryStrip.redact(row.url);
        if (kept) log.error({ err, url }, 'the database refused a row; written to the dead-letter file');
        else if (writeError === null) log.error({ err, url }, 'the database refused a row; not kept: the dead-letter file is at DEAD_LETTER_MAX_BYTES');
        else log.error({ err, url, writeError: stdSerializers.err(writeError as Error) }, 'the database refused a row; not kept: the dead-letter file could not be written');
      },
      sessionRefused: (err, row) => {
        m.sessionRowsRefused.inc();
        log.error({ err, sessionId: row.sessionId, url: queryStrip.redact(row.url) }, 'the database refused a session update; the beacon was stored without it');
      },
      spoolDamaged: (lines, source, err) => {
        m.deadLetterRows.inc({ reason: 'unreadable' }, lines);
        // Torn by a crash (never acknowledged) or damaged on disk (acknowledged): either way a person should look.
        if (err === null) log.error({ lines, source }, 'spool or write-ahead log lines that do not decode; dead-lettered (kept in the file unless past DEAD_LETTER_MAX_BYTES)');
        else log.error({ err, lines, source }, 'spool or write-ahead log lines that do not decode; they could not be written to the dead-letter file and are lost');
      },
    });
  },
  { name: 'writer-events', dependencies: ['config', 'metrics', 'query-strip'] },
);
