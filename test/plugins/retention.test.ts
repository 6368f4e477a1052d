// The retention plugin on a bare instance over real MariaDB: the daily job only with RETENTION_DAYS,
// started at ready on the sink, stopped at close.
import t, { type Test } from 'tap';
import { RetentionJob } from '../../src/maintenance/retention.js';
import retentionPlugin from '../../src/plugins/retention.js';
import sinkPlugin from '../../src/plugins/sink.js';
import { testConfig } from '../helpers/app.js';
import { freshDatabase } from '../helpers/db.js';
import { until } from '../helpers/process.js';
import { row } from '../helpers/rows.js';
import { bareApp } from './bare-app.js';

/** Records the job's start and stop; the first run is brought forward from a minute to now. */
function spyOnJob(t: Test): string[] {
  const calls: string[] = [];
  const { start, stop } = RetentionJob.prototype;
  t.teardown(() => Object.assign(RetentionJob.prototype, { start, stop }));
  RetentionJob.prototype.start = function () {
    calls.push('start');
    start.call(this, 0);
  };
  RetentionJob.prototype.stop = async function () {
    calls.push('stop');
    await stop.call(this);
  };
  return calls;
}

t.test('RETENTION_DAYS unset: no job', async (t) => {
  const calls = spyOnJob(t);
  const db = await freshDatabase(t, 'mysql');
  const { app } = await bareApp(t, testConfig(db.url), [sinkPlugin, retentionPlugin]);
  await app.ready();
  await app.close();
  t.same(calls, []);
});

t.test('RETENTION_DAYS: started at ready, deletes through the sink what is older, stopped at close', async (t) => {
  const calls = spyOnJob(t);
  const db = await freshDatabase(t, 'mysql');
  const { app, logs } = await bareApp(t, testConfig(db.url, { RETENTION_DAYS: '30' }), [sinkPlugin, retentionPlugin]);
  await app.sink.writeBatch({ rows: [row(1, { serverTimestamp: new Date(Date.now() - 40 * 86_400_000) }), row(2, { serverTimestamp: new Date() })], sessions: [] });
  t.same(calls, [], 'not before ready');
  await app.ready();
  t.same(calls, ['start']);
  t.ok(await until(async () => logs.some((l) => l.msg === 'retention: old rows deleted'), 5000));
  t.match(logs.at(-1), { level: 30, days: 30, pageviews: 1, sessions: 0 });
  t.same(await db.query('SELECT url FROM pageviews'), [{ url: 'https://a.example/2' }], 'the recent row stays');
  await app.close();
  t.same(calls, ['start', 'stop']);
});
