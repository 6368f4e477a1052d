import fp from 'fastify-plugin';
import { stdSerializers } from 'pino';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { WriterEvents } from '../buffer/batch-writer.js';
import type { IngestEvents, RejectReason } from '../pipeline/collector.js';
import { QueryStripper } from '../pipeline/query-strip.js';
import { DatabaseRecovery } from '../ops/database-recovery.js';
import { RejectionSummary } from '../ops/rejection-summary.js';

// Reasons whose feature exists in this build: pre-created at 0 so dashboards see every series.
const ACTIVE_REASONS: RejectReason[] = [
  'invalid_json', 'invalid_schema', 'invalid_url', 'unsupported_type', 'too_large', 'origin', 'bot', 'dnt', 'excluded_ip',
  'rate_limited', 'overflow', 'error',
];
const FIELDS = ['name', 'referrer', 'timestamp', 'viewportW', 'viewportH', 'payload'];
// Rejections are logged as one line per reason this often; each beacon's detail is at debug level.
const REJECTION_LOG_INTERVAL_MS = 10_000;

// Every metric of the service is named beacon_* (renamed once, mapping in the README): one prefix
// tells them from other jobs' in a shared Prometheus. test/ops/metric-names.test.ts keeps it so.
function createMetrics(sharedSessions: boolean) {
  const registry = new Registry();
  // process_* and nodejs_* keep their usual names (what Node.js dashboards expect), without our prefix.
  collectDefaultMetrics({ register: registry });
  // Gauges named *_total fail `promtool check metrics` (the suffix means a counter); each is the sum
  // of a by-type gauge that stays (sum(nodejs_active_handles) gives it).
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
  // Gauges read at scrape time; the plugins that own the values fill these in.
  const sources = { bufferRows: () => 0, spoolRows: () => 0, sessionsActive: () => 0, databaseUp: () => 1 };
  return {
    registry,
    /** The /metrics text: this process's registry, or (WORKERS>1) every worker's, summed by the primary. */
    collect: async (): Promise<{ text: string; contentType: string }> => ({ text: await registry.metrics(), contentType: registry.contentType }),
    sources,
    received: new Counter({ name: 'beacon_received_total', help: 'Beacons received (items of a batch, not requests)', registers: [registry] }),
    accepted: new Counter({ name: 'beacon_accepted_total', help: 'Beacons accepted into the buffer', registers: [registry] }),
    rejected: new Counter({ name: 'beacon_rejected_total', help: 'Beacons dropped, by reason', labelNames: ['reason'], registers: [registry] }),
    fieldsDropped: new Counter({ name: 'beacon_fields_dropped_total', help: 'Optional fields stored NULL because they broke their rule', labelNames: ['field'], registers: [registry] }),
    rowsWritten: new Counter({ name: 'beacon_rows_written_total', help: 'Rows written to the database', registers: [registry] }),
    bufferRows: new Gauge({
      name: 'beacon_buffer_rows',
      help: 'Rows waiting in the in-memory buffer',
      registers: [registry],
      collect() {
        this.set(sources.bufferRows());
      },
    }),
    flushDuration: new Histogram({
      name: 'beacon_flush_duration_seconds',
      help: 'Time to write one batch',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    spoolRows: new Gauge({
      name: 'beacon_spool_rows',
      help: 'Rows waiting in the spool on disk',
      registers: [registry],
      collect() {
        this.set(sources.spoolRows());
      },
    }),
    deadLetterRows: new Counter({
      name: 'beacon_dead_letter_rows_total',
      help: 'Dead letters, by reason: refused (by the database) or unreadable (a spool or WAL line that does not decode); those past DEAD_LETTER_MAX_BYTES count here too',
      labelNames: ['reason'],
      registers: [registry],
    }),
    deadLetterDropped: new Counter({
      name: 'beacon_dead_letter_dropped_total',
      help: 'Dead letters not kept because DEAD_LETTER_MAX_BYTES was reached',
      registers: [registry],
    }),
    sessionRowsRefused: new Counter({
      name: 'beacon_session_rows_refused_total',
      help: 'Session updates the database refused; their beacons were stored without them',
      registers: [registry],
    }),
    sessionsActive: new Gauge({
      name: 'beacon_sessions_active',
      help: 'Sessions held by the session store (with REDIS_URL: in Redis, for every instance, counted every 30 s, plus those held locally during an outage)',
      registers: [registry],
      // WORKERS>1: each worker reports the same shared count, which must not be added up.
      aggregator: sharedSessions ? 'max' : 'sum',
      collect() {
        this.set(sources.sessionsActive());
      },
    }),
    sessionsEvicted: new Counter({
      name: 'beacon_sessions_evicted_total',
      help: 'Active sessions evicted because SESSION_STORE_MAX visitors were held',
      registers: [registry],
    }),
    sessionStoreErrors: new Counter({
      name: 'beacon_session_store_errors_total',
      help: 'Beacons whose session Redis could not assign (down or slow): the local store did, until Redis is back',
      registers: [registry],
    }),
    flushFailures: new Counter({ name: 'beacon_flush_failures_total', help: 'Batches whose write failed (rows kept for retry)', registers: [registry] }),
    databaseUp: new Gauge({
      name: 'beacon_database_up',
      help: '0 from a failed write until the next successful one, else 1 (an idle service finds out at its next flush)',
      registers: [registry],
      // WORKERS>1: down if any worker cannot write.
      aggregator: 'min',
      collect() {
        this.set(sources.databaseUp());
      },
    }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics;
    ingestEvents: IngestEvents;
    queryStrip: QueryStripper;
    writerEvents: WriterEvents;
  }
}

/** Counters and the log lines that go with them; the pipeline and writer report through these. */
export default fp(
  async (app) => {
    const m = createMetrics(app.config.redisUrl !== null);
    for (const reason of ACTIVE_REASONS) m.rejected.inc({ reason }, 0);
    for (const field of FIELDS) m.fieldsDropped.inc({ field }, 0);
    for (const reason of ['refused', 'unreadable']) m.deadLetterRows.inc({ reason }, 0);
    const log = app.log;
    // URL_QUERY_STRIP parameters are blanked in every excerpt before it is logged.
    const queryStrip = new QueryStripper(app.config.urlQueryStrip);
    const rejections = new RejectionSummary({
      intervalMs: REJECTION_LOG_INTERVAL_MS,
      clock: Date.now,
      redact: (detail) => queryStrip.redact(detail),
      report: ({ reason, count, example, seconds }) => log.info({ reason, count, example, seconds }, `${count} beacon${count === 1 ? '' : 's'} rejected (${reason}) in ${seconds.toFixed(1)} s`),
    });
    // Registered first among the plugins that report, so this runs after their last rejections.
    app.addHook('onClose', async () => rejections.close());
    // The detail is redacted only when it will be written (FastifyBaseLogger has no isLevelEnabled).
    const debug = log.level === 'debug' || log.level === 'trace';

    const ingestEvents: IngestEvents = {
      received: (n) => m.received.inc(n),
      accepted: (n) => m.accepted.inc(n),
      rejected: (reason, count, detail) => {
        m.rejected.inc({ reason }, count);
        rejections.add(reason, count, detail);
        if (debug) log.debug({ reason, count, detail: queryStrip.redact(detail) }, 'beacon rejected');
      },
      fieldDropped: (field) => {
        m.fieldsDropped.inc({ field });
        log.debug({ field }, 'beacon field stored NULL');
      },
    };
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
    const writerEvents: WriterEvents = {
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
    };
    app.decorate('metrics', m);
    app.decorate('queryStrip', queryStrip);
    app.decorate('ingestEvents', ingestEvents);
    app.decorate('writerEvents', writerEvents);
  },
  { name: 'metrics', fastify: '5.x', dependencies: ['config'] },
);
