import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { REJECT_REASONS } from '../pipeline/ingest-events.js';

const FIELDS = ['name', 'referrer', 'timestamp', 'viewportW', 'viewportH', 'payload'];

/**
 * The service's Prometheus registry and every metric in it, each labelled series present from the
 * start. Every metric of the service is named beacon_* (renamed once, mapping in docs/operations.md): one
 * prefix tells them from other jobs' in a shared Prometheus. test/ops/metric-names.test.ts keeps it so.
 * `sharedSessions` (REDIS_URL): every worker reports the same session count, not its own.
 */
export function createMetrics(sharedSessions: boolean) {
  const registry = new Registry();
  // process_* and nodejs_* keep their usual names (what Node.js dashboards expect), without our prefix.
  collectDefaultMetrics({ register: registry });
  // Gauges named *_total fail `promtool check metrics` (the suffix means a counter); each is the sum
  // of a by-type gauge that stays (sum(nodejs_active_handles) gives it).
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
  // Gauges read at scrape time; the plugins that own the values fill these in.
  const sources = { bufferRows: () => 0, spoolRows: () => 0, sessionsActive: () => 0, databaseUp: () => 1 };
  const m = {
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
  // Every reason pre-created at 0 so dashboards see every series.
  for (const reason of REJECT_REASONS) m.rejected.inc({ reason }, 0);
  for (const field of FIELDS) m.fieldsDropped.inc({ field }, 0);
  for (const reason of ['refused', 'unreadable']) m.deadLetterRows.inc({ reason }, 0);
  return m;
}

export type Metrics = ReturnType<typeof createMetrics>;
