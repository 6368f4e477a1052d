// The ingest-events plugin on a bare instance: the pipeline's reports as counters and log lines.
import fp from 'fastify-plugin';
import t from 'tap';
import ingestEventsPlugin from '../../src/plugins/ingest-events.js';
import metricsPlugin from '../../src/plugins/metrics.js';
import queryStripPlugin from '../../src/plugins/query-strip.js';
import { metricValue, testConfig } from '../helpers/app.js';
import { bareApp, UNREACHABLE_DATABASE } from './bare-app.js';

const config = () => testConfig(UNREACHABLE_DATABASE, { URL_QUERY_STRIP: 'token' });
const deps = [metricsPlugin, queryStripPlugin, ingestEventsPlugin];

t.test('counts what the pipeline reports', async (t) => {
  const { app } = await bareApp(t, config(), deps);
  app.ingestEvents.received(5);
  app.ingestEvents.accepted(3);
  app.ingestEvents.rejected('origin', 2, 'https://evil.example');
  app.ingestEvents.fieldDropped('referrer');
  const text = await app.metrics.registry.metrics();
  t.equal(metricValue(text, 'beacon_received_total'), 5);
  t.equal(metricValue(text, 'beacon_accepted_total'), 3);
  t.equal(metricValue(text, 'beacon_rejected_total{reason="origin"}'), 2);
  t.equal(metricValue(text, 'beacon_fields_dropped_total{field="referrer"}'), 1);
});

t.test('rejections: one summary line per reason, its example redacted, written at close at the latest', async (t) => {
  const { app, logs } = await bareApp(t, config(), deps);
  app.ingestEvents.rejected('invalid_url', 1, 'https://a.example/?token=secret');
  app.ingestEvents.rejected('invalid_url', 2, 'another');
  t.same(logs, [], 'nothing logged per beacon at info level');
  await app.close();
  t.match(logs, [{ level: 30, reason: 'invalid_url', count: 3, example: 'https://a.example/?token=[redacted]', msg: /^3 beacons rejected \(invalid_url\) in \d+\.\d s$/ }]);
  t.equal(logs.length, 1, 'one line, not one per beacon');
});

t.test('onClose: runs after the hooks of plugins registered later, so their last rejections are in the summary', async (t) => {
  const reporter = fp(async (app) => {
    app.addHook('onClose', async () => {
      app.ingestEvents.rejected('overflow', 2, 'at shutdown');
      app.ingestEvents.rejected('overflow', 2, 'at shutdown');
    });
  }, { name: 'reporter', dependencies: ['ingest-events'] });
  const { app, logs } = await bareApp(t, config(), [...deps, reporter]);
  await app.close();
  // After the summary's close each rejection is reported at once: two lines of 2, not one of 4.
  t.match(logs, [{ reason: 'overflow', count: 4, msg: /^4 beacons rejected/ }]);
  t.equal(logs.length, 1);
});

t.test('at debug level: a line per rejected beacon, redacted, and per field stored NULL', async (t) => {
  const { app, logs } = await bareApp(t, config(), deps, 'debug');
  app.ingestEvents.rejected('invalid_url', 1, 'https://a.example/?token=secret');
  app.ingestEvents.fieldDropped('payload');
  t.match(logs, [
    { level: 20, msg: 'beacon rejected', reason: 'invalid_url', count: 1, detail: 'https://a.example/?token=[redacted]' },
    { level: 20, msg: 'beacon field stored NULL', field: 'payload' },
  ]);
});
