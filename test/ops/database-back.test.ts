// The log says when the database comes back after an outage, how long it was away and what was written.
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import type { RowDataPacket } from 'mysql2/promise';
import { migrateMysql } from '../../src/sinks/mysql-migrate.js';
import { buildTestApp, CHROME_UA, metricValue } from '../helpers/app.js';
import { freshDatabase } from '../helpers/db.js';
import { until } from '../helpers/process.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';

t.test('one line when the database is reachable again after failed flushes, with the time away and the rows; beacon_database_up follows', async (t) => {
  const db = await freshDatabase(t);
  await migrateMysql(db.url);
  const proxy = await startTcpProxy();
  t.teardown(() => proxy.close());
  const h = await buildTestApp(t, { MIGRATE: 'false', FLUSH_INTERVAL_MS: '100' }, (c) => {
    const url = new URL(db.url);
    url.port = String(proxy.port);
    c.databaseUrl = url.toString();
  }, db);
  const count = async () => Number((await db.query<RowDataPacket>('SELECT COUNT(*) AS n FROM pageviews'))[0]?.n);
  const send = (n: number, from: number) =>
    h.app.inject({
      method: 'POST',
      url: '/collect',
      payload: JSON.stringify(Array.from({ length: n }, (_, i) => ({ url: `https://example.com/${from + i}` }))),
      headers: { 'user-agent': CHROME_UA, 'content-type': 'text/plain' },
    });
  const back = () => h.logs.filter((l) => /database reachable again/.test(l.msg));
  const up = async () => metricValue((await h.app.inject('/metrics')).body, 'beacon_database_up');

  await send(10, 0);
  // Idle before the cut: a flush whose commit reply the cut swallows would be retried with the next rows.
  t.ok(await until(async () => (await count()) === 10 && h.app.writer.size === 0, 10_000), 'written while up');
  // The flush is counted after its line would have been logged (both in the writer's flushed event).
  const flushes = async () => metricValue((await h.app.inject('/metrics')).body, 'beacon_flush_duration_seconds_count');
  t.ok(await until(async () => (await flushes()) >= 1, 10_000), 'the flush is counted');
  t.same(back(), [], 'nothing to say while nothing failed');
  t.equal(await up(), 1, 'beacon_database_up 1');

  proxy.cut();
  await send(50, 10);
  t.ok(await until(async () => h.logs.some((l) => l.level === 50 && /flush failed/.test(l.msg)), 10_000), 'a flush failed');
  t.equal(await up(), 0, 'beacon_database_up 0 while writes fail');
  // The line gives the time away, timed by the wall clock (the writer's events do not take the
  // config's clock): the outage has to last the second the assertion below asks for.
  await sleep(1000);
  proxy.heal();
  t.ok(await until(async () => (await count()) === 60, 30_000), 'all landed after the heal');
  t.ok(await until(async () => back().length > 0, 5000), 'the line is logged');
  const lines = back();
  t.equal(lines.length, 1, 'one line');
  t.match(lines[0], { level: 30, awaySeconds: Number, failedFlushes: Number, rows: 50, waiting: 0 });
  t.ok((lines[0]?.awaySeconds as number) >= 1, `away ${String(lines[0]?.awaySeconds)} s`);
  t.ok((lines[0]?.failedFlushes as number) >= 1);
  t.equal(await up(), 1, 'beacon_database_up 1 again');

  await send(5, 60);
  t.ok(await until(async () => (await count()) === 65, 10_000));
  t.equal(back().length, 1, 'still one line: flushes after it say nothing');
});
