// Redis going away (a TCP proxy we cut) between two instances loses no beacon, and sessions resume
// across them when it returns (real Redis on 6379, real MariaDB).
import t from 'tap';
import { metricValue } from '../helpers/fixtures.js';
import { freshDatabase } from '../helpers/db.js';
import { until } from '../helpers/process.js';
import { rows, send, sessions, site, start } from '../helpers/scale-out.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';

t.test('Redis away and back: no beacon lost, errors counted, sessions resume across instances', async (t) => {
  const db = await freshDatabase(t);
  const proxy = await startTcpProxy(6379);
  t.teardown(() => proxy.close());
  const redisUrl = `redis://127.0.0.1:${proxy.port}`;
  const [a, b] = await Promise.all([start(t, db, redisUrl), start(t, db, redisUrl)]);
  const origin = site();
  let sent = 0;
  const alternate = async (n: number, label: string) => {
    for (let i = 0; i < n; i++) {
      await send(i % 2 === 0 ? a.base : b.base, `${origin}/${label}/${i}`);
      sent++;
    }
  };

  await alternate(4, 'before');
  proxy.cut();
  await alternate(6, 'during');
  const errors = async (base: string) => metricValue(await (await fetch(`${base}/metrics`)).text(), 'beacon_session_store_errors_total');
  t.ok((await errors(a.base)) >= 1 && (await errors(b.base)) >= 1, 'each instance counted the beacons Redis could not take');
  proxy.heal();
  // Each instance's client reconnects within its 2 s backoff cap (one connection each); the local
  // sessions are written back once it is ready, before the next beacon is assigned.
  t.ok(await until(async () => proxy.answered() >= 2, 10_000), 'both instances reconnected to Redis');
  await alternate(6, 'after');

  t.equal(await a.service.stop('SIGTERM'), 0);
  t.equal(await b.service.stop('SIGTERM'), 0);
  const stored = await rows(db);
  t.equal(stored.length, sent, 'every beacon stored, through the outage');
  t.ok(stored.every((r) => r.session_id !== null), 'no beacon left without a session');
  // Each instance keeps Redis's last answer for the visitor, continues it while Redis is away, and
  // writes it back (merged by session id) when Redis returns: the outage splits nothing.
  t.equal(new Set(stored.map((r) => r.session_id)).size, 1, 'one session before, during and after the outage, on both instances');
  const all = await sessions(db);
  t.equal(all.length, 1);
  t.equal(all[0]?.exit_url, `${origin}/after/5`);
});
