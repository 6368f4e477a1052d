// The metrics plugin on a bare instance: the registry and every metric, nothing else.
import { AggregatorRegistry } from 'prom-client';
import t from 'tap';
import type { Metrics } from '../../src/ops/metrics.js';
import metricsPlugin from '../../src/plugins/metrics.js';
import { metricValue, testConfig } from '../helpers/app.js';
import { bareApp, UNREACHABLE_DATABASE } from './bare-app.js';

// Names and help texts are what dashboards, alerts and the README rely on: changing one is a change to users.
const HELP = [
  '# HELP beacon_received_total Beacons received (items of a batch, not requests)',
  '# HELP beacon_accepted_total Beacons accepted into the buffer',
  '# HELP beacon_rejected_total Beacons dropped, by reason',
  '# HELP beacon_fields_dropped_total Optional fields stored NULL because they broke their rule',
  '# HELP beacon_rows_written_total Rows written to the database',
  '# HELP beacon_buffer_rows Rows waiting in the in-memory buffer',
  '# HELP beacon_flush_duration_seconds Time to write one batch',
  '# HELP beacon_spool_rows Rows waiting in the spool on disk',
  '# HELP beacon_dead_letter_rows_total Dead letters, by reason: refused (by the database) or unreadable (a spool or WAL line that does not decode); those past DEAD_LETTER_MAX_BYTES count here too',
  '# HELP beacon_dead_letter_dropped_total Dead letters not kept because DEAD_LETTER_MAX_BYTES was reached',
  '# HELP beacon_session_rows_refused_total Session updates the database refused; their beacons were stored without them',
  '# HELP beacon_sessions_active Sessions held by the session store (with REDIS_URL: in Redis, for every instance, counted every 30 s, plus those held locally during an outage)',
  '# HELP beacon_sessions_evicted_total Active sessions evicted because SESSION_STORE_MAX visitors were held',
  '# HELP beacon_session_store_errors_total Beacons whose session Redis could not assign (down or slow): the local store did, until Redis is back',
  '# HELP beacon_flush_failures_total Batches whose write failed (rows kept for retry)',
  '# HELP beacon_database_up 0 from a failed write until the next successful one, else 1 (an idle service finds out at its next flush)',
];

t.test('decorates the metrics, with the service metrics under their names and help texts', async (t) => {
  const { app } = await bareApp(t, testConfig(UNREACHABLE_DATABASE), [metricsPlugin]);
  await app.ready();
  const text = await app.metrics.registry.metrics();
  t.same(text.split('\n').filter((l) => l.startsWith('# HELP beacon_')), HELP);
  t.match(text, /^# HELP process_cpu_user_seconds_total /m, 'process metrics under their usual names');
  t.notMatch(text, /^nodejs_active_handles_total /m, 'no gauge named *_total');
  app.metrics.received.inc(3);
  const collected = await app.metrics.collect();
  t.match(collected, { text: /^beacon_received_total 3$/m, contentType: app.metrics.registry.contentType }, 'collect() reads this registry');
});

t.test('every labelled series exists at 0 from the start, so dashboards see each one', async (t) => {
  const { app } = await bareApp(t, testConfig(UNREACHABLE_DATABASE), [metricsPlugin]);
  const text = await app.metrics.registry.metrics();
  for (const reason of ['invalid_json', 'invalid_schema', 'invalid_url', 'unsupported_type', 'too_large', 'origin', 'bot', 'dnt', 'excluded_ip', 'rate_limited', 'overflow', 'error']) {
    t.match(text, `beacon_rejected_total{reason="${reason}"} 0`);
  }
  for (const field of ['name', 'referrer', 'timestamp', 'viewportW', 'viewportH', 'payload']) t.match(text, `beacon_fields_dropped_total{field="${field}"} 0`);
  for (const reason of ['refused', 'unreadable']) t.match(text, `beacon_dead_letter_rows_total{reason="${reason}"} 0`);
});

t.test('gauges read their sources at scrape time; until an owner sets one, nothing waits and the database counts as up', async (t) => {
  const { app } = await bareApp(t, testConfig(UNREACHABLE_DATABASE), [metricsPlugin]);
  let text = await app.metrics.registry.metrics();
  for (const series of ['beacon_buffer_rows 0', 'beacon_spool_rows 0', 'beacon_sessions_active 0', 'beacon_database_up 1']) t.match(text, series);
  app.metrics.sources.bufferRows = () => 7;
  app.metrics.sources.databaseUp = () => 0;
  text = await app.metrics.registry.metrics();
  t.match(text, 'beacon_buffer_rows 7');
  t.match(text, 'beacon_database_up 0');
});

t.test('WORKERS>1: the session count is shared with REDIS_URL (not added up), else summed; the database is down if any worker says so', async (t) => {
  /** Two workers' metrics as the cluster primary sums them. */
  async function summed(env: Record<string, string>, set: (m: Metrics, worker: number) => void): Promise<string> {
    const workers = [];
    for (const worker of [0, 1]) {
      const { app } = await bareApp(t, testConfig(UNREACHABLE_DATABASE, env), [metricsPlugin]);
      set(app.metrics, worker);
      workers.push(await app.metrics.registry.getMetricsAsJSON());
    }
    return AggregatorRegistry.aggregate(workers).metrics();
  }
  const sessions = (m: Metrics) => {
    m.sources.sessionsActive = () => 5;
  };
  t.equal(metricValue(await summed({}, sessions), 'beacon_sessions_active'), 10, 'each worker its own sessions');
  t.equal(metricValue(await summed({ REDIS_URL: 'redis://127.0.0.1:6379' }, sessions), 'beacon_sessions_active'), 5, 'the same sessions in Redis');
  const text = await summed({}, (m, worker) => {
    m.sources.databaseUp = () => worker;
  });
  t.equal(metricValue(text, 'beacon_database_up'), 0);
});

t.test('decorates nothing but the metrics', async (t) => {
  const { app } = await bareApp(t, testConfig(UNREACHABLE_DATABASE), [metricsPlugin]);
  for (const name of ['queryStrip', 'ingestEvents', 'writerEvents']) t.notOk(app.hasDecorator(name), name);
});
