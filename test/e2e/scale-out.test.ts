// Several instances behind a load balancer share sessions through Redis (real Redis on 6379,
// real MariaDB): a visitor alternating between two service processes has one session; Redis
// going away (a TCP proxy we cut) loses no beacon, and sessions resume when it returns.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import type { RowDataPacket } from 'mysql2/promise';
import { CHROME_UA, metricValue, TEST_SECRET } from '../helpers/app.js';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';
import { freePort, startService, until, type RunningService } from '../helpers/process.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';

const REDIS = 'redis://127.0.0.1:6379';

async function start(t: Test, db: TestDatabase, redisUrl: string, extra: Record<string, string> = {}): Promise<{ base: string; service: RunningService }> {
  const port = await freePort();
  const service = startService(t, {
    PATH: process.env.PATH,
    DATABASE_URL: db.url,
    REDIS_URL: redisUrl,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: mkdtempSync(join(tmpdir(), 'bi-scale-')),
    HASH_SECRET: TEST_SECRET,
    ALLOWED_ORIGINS: '*',
    FLUSH_INTERVAL_MS: '200',
    ...extra,
  });
  const base = `http://127.0.0.1:${port}`;
  if (!(await service.ready(base, 30_000))) throw new Error(`not ready:\n${service.output()}`);
  return { base, service };
}

// Each test its own site: Redis keys are namespaced by site, so tests do not meet in Redis.
const site = () => `https://s${randomBytes(4).toString('hex')}.example.com`;

async function send(base: string, url: string, type = 'pageview'): Promise<void> {
  const res = await fetch(`${base}/collect`, {
    method: 'POST',
    body: JSON.stringify({ url, type, ...(type === 'event' ? { name: 'click_cta' } : {}) }),
    // One visitor: same address (127.0.0.1), same agent; a new connection each time, as a load balancer may route it.
    headers: { 'content-type': 'text/plain', 'user-agent': CHROME_UA, connection: 'close' },
  });
  if (res.status !== 204) throw new Error(`status ${res.status}`);
}

const rows = (db: TestDatabase) => db.query<RowDataPacket>('SELECT url, type, session_id FROM pageviews ORDER BY id');
const sessions = (db: TestDatabase) => db.query<RowDataPacket>('SELECT * FROM sessions ORDER BY started_at');

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
