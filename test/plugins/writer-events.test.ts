// The writer-events plugin on a bare instance: the writer's reports as counters and log lines.
import t from 'tap';
import metricsPlugin from '../../src/plugins/metrics.js';
import queryStripPlugin from '../../src/plugins/query-strip.js';
import writerEventsPlugin from '../../src/plugins/writer-events.js';
import { metricValue, testConfig } from '../helpers/app.js';
import { row } from '../helpers/rows.js';
import { bareApp, UNREACHABLE_DATABASE } from './bare-app.js';

const config = () => testConfig(UNREACHABLE_DATABASE, { URL_QUERY_STRIP: 'token' });
const deps = [metricsPlugin, queryStripPlugin, writerEventsPlugin];
const scrape = async (app: Awaited<ReturnType<typeof bareApp>>['app']) => app.metrics.registry.metrics();

t.test('flushes counted and timed; a failure logged with its rows and the database marked down until the next success', async (t) => {
  const { app, logs } = await bareApp(t, config(), deps);
  app.writerEvents.flushed(10, 0.02);
  let text = await scrape(app);
  t.equal(metricValue(text, 'beacon_rows_written_total'), 10);
  t.equal(metricValue(text, 'beacon_flush_duration_seconds_count'), 1);
  t.equal(metricValue(text, 'beacon_database_up'), 1);
  app.writerEvents.flushFailed(new Error('ECONNREFUSED'), 5, 200);
  app.writerEvents.flushFailed(new Error('ECONNREFUSED'), 5, 400);
  text = await scrape(app);
  t.equal(metricValue(text, 'beacon_flush_failures_total'), 2);
  t.equal(metricValue(text, 'beacon_database_up'), 0);
  app.writerEvents.flushed(5, 0.01);
  t.equal(metricValue(await scrape(app), 'beacon_database_up'), 1);
  t.match(logs, [
    { level: 50, msg: 'flush failed; rows kept for the next attempt', rows: 5, retryInMs: 200, err: { message: 'ECONNREFUSED' } },
    { level: 50, retryInMs: 400 },
    { level: 30, msg: /^database reachable again after \d+\.\d s \(2 failed flushes\); 5 rows written, 0 still waiting$/, failedFlushes: 2, rows: 5, waiting: 0 },
  ]);
});

t.test("a failure without rows is the spool's: counted, but the database stays up", async (t) => {
  const { app } = await bareApp(t, config(), deps);
  app.writerEvents.flushFailed(new Error('EACCES'), 0, 200);
  const text = await scrape(app);
  t.equal(metricValue(text, 'beacon_flush_failures_total'), 1);
  t.equal(metricValue(text, 'beacon_database_up'), 1);
});

t.test('what still waits is read from the gauges the writer fills in', async (t) => {
  const { app, logs } = await bareApp(t, config(), deps);
  app.metrics.sources.bufferRows = () => 40;
  app.metrics.sources.spoolRows = () => 2;
  app.writerEvents.flushFailed(new Error('down'), 1, 10);
  app.writerEvents.flushed(1, 0.01);
  t.match(logs.at(-1), { waiting: 42 });
});

t.test('refused rows and sessions, damaged spool lines: counted, logged at error level with the url redacted', async (t) => {
  const { app, logs } = await bareApp(t, config(), deps);
  const refused = row(1, { url: 'https://a.example/?token=secret', sessionId: '0b7f1c2e-3d4a-4b5c-8d6e-7f8091a2b3c4' });
  const err = new Error('Data too long');
  app.writerEvents.deadLettered(err, refused, true, null);
  app.writerEvents.deadLettered(err, refused, false, null);
  app.writerEvents.deadLettered(err, refused, false, new Error('ENOSPC'));
  app.writerEvents.sessionRefused?.(err, refused);
  app.writerEvents.spoolDamaged(3, '/spool/wal', null);
  app.writerEvents.spoolDamaged(2, '/spool', new Error('EIO'));
  const text = await scrape(app);
  t.equal(metricValue(text, 'beacon_dead_letter_rows_total{reason="refused"}'), 3);
  t.equal(metricValue(text, 'beacon_dead_letter_rows_total{reason="unreadable"}'), 5);
  t.equal(metricValue(text, 'beacon_session_rows_refused_total'), 1);
  const url = 'https://a.example/?token=[redacted]';
  t.match(logs, [
    { level: 50, url, msg: 'the database refused a row; written to the dead-letter file' },
    { level: 50, url, msg: 'the database refused a row; not kept: the dead-letter file is at DEAD_LETTER_MAX_BYTES' },
    { level: 50, url, msg: 'the database refused a row; not kept: the dead-letter file could not be written', writeError: { message: 'ENOSPC' } },
    { level: 50, url, sessionId: refused.sessionId, msg: 'the database refused a session update; the beacon was stored without it' },
    { level: 50, lines: 3, source: '/spool/wal', msg: /dead-lettered \(kept in the file/ },
    { level: 50, lines: 2, source: '/spool', msg: /could not be written to the dead-letter file and are lost/ },
  ]);
});
