import fp from 'fastify-plugin';
import type { IngestEvents } from '../pipeline/collector.js';
import { RejectionSummary } from '../ops/rejection-summary.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** What the pipeline and the collect route report: counters, and log lines that never flood. */
    ingestEvents: IngestEvents;
  }
}

// Rejections are logged as one line per reason this often; each beacon's detail is at debug level.
const REJECTION_LOG_INTERVAL_MS = 10_000;

/** The pipeline's reports turned into counters, one summary line per rejection reason, and debug lines. */
export default fp(
  async (app) => {
    const { metrics: m, log, queryStrip } = app;
    const rejections = new RejectionSummary({
      intervalMs: REJECTION_LOG_INTERVAL_MS,
      clock: Date.now,
      redact: (detail) => queryStrip.redact(detail),
      report: ({ reason, count, example, seconds }) => log.info({ reason, count, example, seconds }, `${count} beacon${count === 1 ? '' : 's'} rejected (${reason}) in ${seconds.toFixed(1)} s`),
    });
    // Registered before the plugins that report, so this runs after their last rejections.
    app.addHook('onClose', async () => rejections.close());
    // The detail is redacted only when it will be written (FastifyBaseLogger has no isLevelEnabled).
    const debug = log.level === 'debug' || log.level === 'trace';
    app.decorate<IngestEvents>('ingestEvents', {
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
    });
  },
  { name: 'ingest-events', dependencies: ['config', 'metrics', 'query-strip'] },
);
