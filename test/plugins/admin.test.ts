// The admin plugin on a bare instance: the ops routes on the service, or with ADMIN_PORT on an
// instance of their own that reads the service's state and closes with it, before the sink.
import t from 'tap';
import adminPlugin from '../../src/plugins/admin.js';
import metricsPlugin from '../../src/plugins/metrics.js';
import pressurePlugin from '../../src/plugins/pressure.js';
import queryStripPlugin from '../../src/plugins/query-strip.js';
import sinkPlugin from '../../src/plugins/sink.js';
import writerEventsPlugin from '../../src/plugins/writer-events.js';
import writerPlugin from '../../src/plugins/writer.js';
import { metricValue, testConfig } from '../helpers/app.js';
import { freshDatabase } from '../helpers/db.js';
import { row } from '../helpers/rows.js';
import { bareApp } from './bare-app.js';

const deps = [metricsPlugin, queryStripPlugin, writerEventsPlugin, pressurePlugin, sinkPlugin, writerPlugin, adminPlugin];

t.test('no ADMIN_PORT: /health, /ready and /metrics on the service itself', async (t) => {
  const db = await freshDatabase(t, 'mysql');
  const { app } = await bareApp(t, testConfig(db.url), deps);
  t.equal(app.admin, null);
  app.writer.push(row(1));
  t.match((await app.inject('/health')).json(), { status: 'ok', database: 'up', buffer: { rows: 1 } });
  t.equal((await app.inject('/ready')).statusCode, 200);
  t.equal(metricValue((await app.inject('/metrics')).body, 'beacon_buffer_rows'), 1);
});

t.test("ADMIN_PORT: the routes on their own instance, reading the service's state; none on the service", async (t) => {
  const db = await freshDatabase(t, 'mysql');
  const { app } = await bareApp(t, testConfig(db.url, { ADMIN_PORT: '0' }), deps);
  const { admin } = app;
  if (admin === null) throw new Error('expected an admin instance');
  app.writer.push(row(1));
  for (const path of ['/health', '/ready', '/metrics']) t.equal((await app.inject(path)).statusCode, 404, `no ${path} on the service`);
  t.match((await admin.inject('/health')).json(), { status: 'ok', database: 'up', buffer: { rows: 1 } });
  t.equal((await admin.inject('/ready')).statusCode, 200);
  t.equal(metricValue((await admin.inject('/metrics')).body, 'beacon_buffer_rows'), 1);
  app.draining = true;
  t.same((await admin.inject('/ready')).json(), { ready: false, reason: 'draining' }, "the service's draining flag");
});

t.test('ADMIN_PORT: the admin instance closes with the service, before the sink', async (t) => {
  const db = await freshDatabase(t, 'mysql');
  const { app } = await bareApp(t, testConfig(db.url, { ADMIN_PORT: '0' }), deps);
  const admin = app.admin;
  if (admin === null) throw new Error('expected an admin instance');
  const order: string[] = [];
  admin.addHook('onClose', async () => void order.push('admin closed'));
  const close = app.sink.close.bind(app.sink);
  app.sink.close = async () => {
    order.push('sink closed');
    await close();
  };
  await admin.listen({ port: 0, host: '127.0.0.1' });
  await app.close();
  t.equal(admin.server.listening, false);
  t.same(order, ['admin closed', 'sink closed']);
});
