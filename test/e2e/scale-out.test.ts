// Several instances behind a load balancer share sessions through Redis (real Redis on 6379,
// real MariaDB): a visitor alternating between two service processes, or between two workers, has
// one session. Redis going away: scale-out-redis-outage.test.ts.
import t from 'tap';
import type { RowDataPacket } from 'mysql2/promise';
import { freshDatabase } from '../helpers/db.js';
import { until } from '../helpers/process.js';
import { REDIS, rows, send, sessions, site, start } from '../helpers/scale-out.js';

t.test('one visitor alternating between two instances has one session with the right counts', async (t) => {
  const db = await freshDatabase(t);
  // Started together: migrations under a lock, and one salt per day for both (a race-safe insert).
  const [a, b] = await Promise.all([start(t, db, REDIS), start(t, db, REDIS)]);
  const origin = site();
  const plan: [string, string][] = [];
  for (let i = 0; i < 8; i++) plan.push([i % 2 === 0 ? a.base : b.base, i === 3 || i === 6 ? 'event' : 'pageview']);
  for (const [i, [base, type]] of plan.entries()) await send(base, `${origin}/page/${i}`, type);

  t.equal(await a.service.stop('SIGTERM'), 0);
  t.equal(await b.service.stop('SIGTERM'), 0);
  const stored = await rows(db);
  t.equal(stored.length, 8, 'every beacon stored');
  t.equal(new Set(stored.map((r) => r.session_id)).size, 1, 'one session id on both instances');
  const all = await sessions(db);
  t.equal(all.length, 1);
  t.match(all[0], { pageviews: 6, events: 2, entry_url: `${origin}/page/0`, exit_url: `${origin}/page/7` });
  const salts = await db.query<RowDataPacket>('SELECT day FROM salts');
  t.equal(salts.length, 3, "yesterday's, today's and tomorrow's salt, once each for both instances");
});

t.test('WORKERS=2 with REDIS_URL: one session whichever worker takes the connection', async (t) => {
  const db = await freshDatabase(t);
  const { base, service } = await start(t, db, REDIS, { WORKERS: '2' });
  await until(async () => (service.output().match(/worker listening/g) ?? []).length === 2, 30_000, 50);
  t.notMatch(service.output(), /without REDIS_URL/, 'no per-process warning with Redis');
  const origin = site();
  for (let i = 0; i < 10; i++) await send(base, `${origin}/w/${i}`);
  t.equal(await service.stop('SIGTERM'), 0);
  const stored = await rows(db);
  t.equal(stored.length, 10);
  t.equal(new Set(stored.map((r) => r.session_id)).size, 1);
  t.match((await sessions(db))[0], { pageviews: 10 });
});
