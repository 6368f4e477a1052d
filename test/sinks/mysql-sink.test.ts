import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import t from 'tap';
import type { RowDataPacket } from 'mysql2/promise';
import { migrateMysql } from '../../src/sinks/mysql-migrate.js';
import { classifyMysqlError } from '../../src/sinks/mysql-errors.js';
import { MysqlSink } from '../../src/sinks/mysql-sink.js';
import { SinkRejectedError, SinkUnavailableError } from '../../src/sinks/sink.js';
import { SaltStore, utcDay } from '../../src/pipeline/salt-store.js';
import { freshDatabase } from '../helpers/db.js';
import { row } from '../helpers/rows.js';

// Every migration file, as postgrator names what it applied: 1.do.pageviews-and-salts, ...
const ALL_MIGRATIONS = readdirSync(new URL('../../migrations/mysql/', import.meta.url))
  .filter((f) => f.endsWith('.sql'))
  .sort()
  .map((f) => f.replace(/^0*(\d+)\.do\.(.*)\.sql$/, '$1.do.$2'));

t.test('migrations: two processes starting at once apply each migration once', async (t) => {
  const db = await freshDatabase(t);
  const [a, b] = await Promise.all([migrateMysql(db.url), migrateMysql(db.url)]);
  t.same([...a.applied, ...b.applied], ALL_MIGRATIONS, 'applied by exactly one of them');
  t.equal(a.version, b.version);
  const again = await migrateMysql(db.url);
  t.same(again.applied, [], 'nothing pending afterwards');
  const cols = await db.query<RowDataPacket>(
    "SELECT COLUMN_NAME AS c, COLUMN_TYPE AS ty FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'pageviews' ORDER BY ORDINAL_POSITION",
  );
  t.same(cols.map((c) => c.c), [
    'id', 'beacon_id', 'url', 'hostname', 'type', 'event_name', 'user_agent', 'browser', 'os', 'device', 'is_bot', 'viewport_width', 'viewport_height', 'referrer',
    'client_timestamp', 'server_timestamp', 'client_ip', 'session_id', 'payload', 'user_hash', 'geo_country', 'created_at',
  ]);
  t.equal(cols.find((c) => c.c === 'server_timestamp')?.ty, 'datetime(3)');
  const idx = await db.query<RowDataPacket>(
    "SELECT DISTINCT INDEX_NAME AS i FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'pageviews'",
  );
  t.same(idx.map((i) => i.i).sort(), [
    'PRIMARY', 'idx_pageviews_hostname', 'idx_pageviews_server_timestamp', 'idx_pageviews_session_id', 'idx_pageviews_type', 'idx_pageviews_url', 'uq_pageviews_beacon_id',
  ]);
  const [charset] = await db.query<RowDataPacket>("SELECT TABLE_COLLATION AS c FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'pageviews'");
  t.match(charset?.c, /^utf8mb4/);
});

t.test('writeBatch is one multi-row statement and idempotent on beacon_id', async (t) => {
  const db = await freshDatabase(t);
  await migrateMysql(db.url);
  const sink = new MysqlSink({ url: db.url, poolSize: 2 });
  t.teardown(() => sink.close());
  const batch = Array.from({ length: 500 }, (_, i) => row(i));
  await sink.writeBatch({ rows: batch, sessions: [] });
  await sink.writeBatch({ rows: batch.slice(100, 300), sessions: [] }); // a retry after a lost commit reply
  const [n] = await db.query<RowDataPacket>('SELECT COUNT(*) AS n, COUNT(DISTINCT beacon_id) AS d FROM pageviews');
  t.equal(Number(n?.n), 500);
  t.equal(Number(n?.d), 500);
  const latest = await db.query<RowDataPacket>('SELECT id, url, type, server_timestamp, client_ip FROM pageviews ORDER BY id DESC LIMIT 5');
  t.same(latest.map((r) => r.url), [499, 498, 497, 496, 495].map((i) => `https://a.example/${i}`), "the tutorial's query shows the newest rows");
});

t.test('4-byte characters and JSON payloads survive utf8mb4', async (t) => {
  const db = await freshDatabase(t);
  await migrateMysql(db.url);
  const sink = new MysqlSink({ url: db.url, poolSize: 1 });
  t.teardown(() => sink.close());
  await sink.writeBatch({ rows: [row(1, { eventName: '🌍 héllo', payload: '{"e":"😀"}' })], sessions: [] });
  const [r] = await db.query<RowDataPacket>('SELECT event_name, payload FROM pageviews');
  t.equal(r?.event_name, '🌍 héllo');
  t.same(r?.payload, { e: '😀' });
});

t.test('errors are typed: unreachable is SinkUnavailableError, refused data is SinkRejectedError', async (t) => {
  const db = await freshDatabase(t);
  await migrateMysql(db.url);
  const down = new MysqlSink({ url: 'mysql://root@127.0.0.1:1/none', poolSize: 1 });
  t.teardown(() => down.close());
  await t.rejects(down.writeBatch({ rows: [row(1)], sessions: [] }), SinkUnavailableError);
  await t.rejects(down.ping(), SinkUnavailableError);
  const sink = new MysqlSink({ url: db.url, poolSize: 1 });
  t.teardown(() => sink.close());
  await t.rejects(sink.writeBatch({ rows: [row(2, { payload: '{not json' })], sessions: [] }), SinkRejectedError, 'invalid JSON rejected by the database');
  await t.rejects(sink.writeBatch({ rows: [row(3, { hostname: 'h'.repeat(300) })], sessions: [] }), SinkRejectedError, 'too long in strict mode');
});

t.test('salts: created race-free, shared by instances, old ones pruned', async (t) => {
  const db = await freshDatabase(t);
  await migrateMysql(db.url);
  const a = new MysqlSink({ url: db.url, poolSize: 2 });
  const b = new MysqlSink({ url: db.url, poolSize: 2 });
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  const [sa, sb] = await Promise.all([a.getOrCreateSalt('2026-03-01', Buffer.alloc(32, 1)), b.getOrCreateSalt('2026-03-01', Buffer.alloc(32, 2))]);
  t.same(sa, sb, 'both instances end up with the same salt');

  let now = Date.UTC(2026, 2, 1, 23, 59, 0);
  const store1 = new SaltStore(a, () => now);
  const store2 = new SaltStore(b, () => now);
  await Promise.all([store1.refresh(), store2.refresh()]);
  t.same(store1.peek('2026-03-01'), sa);
  t.same(store1.peek('2026-03-02'), store2.peek('2026-03-02'), "tomorrow's salt is preloaded and agreed");
  now = Date.UTC(2026, 2, 3, 0, 0, 1);
  await store1.refresh();
  const days = await db.query<RowDataPacket>("SELECT DATE_FORMAT(day, '%Y-%m-%d') AS d FROM salts ORDER BY day");
  t.same(days.map((d) => d.d), ['2026-03-02', '2026-03-03', '2026-03-04'], 'yesterday kept, older deleted');
  t.equal(store1.peek('2026-03-01'), undefined);
  t.equal(utcDay(now), '2026-03-03');
});

t.test('migrations create the database when it does not exist yet', async (t) => {
  const db = await freshDatabase(t);
  await db.query(`DROP DATABASE \`${db.name}\``);
  const result = await migrateMysql(db.url);
  t.same(result.applied, ALL_MIGRATIONS);
  const [r] = await db.query<RowDataPacket>(`SELECT COUNT(*) AS n FROM \`${db.name}\`.pageviews`);
  t.equal(Number(r?.n), 0);
});

t.test('session upserts: a retried flush and an older batch after a newer one change nothing', async (t) => {
  const db = await freshDatabase(t);
  await migrateMysql(db.url);
  const sink = new MysqlSink({ url: db.url, poolSize: 2 });
  t.teardown(() => sink.close());
  const start = {
    id: '6f1c7a52-1f6e-4b7e-9a51-0c1d2e3f4a5b', hostname: 'a.example', startedAt: Date.UTC(2026, 0, 1, 10), entryUrl: 'https://a.example/',
    entryReferrer: 'https://ref.example/', utmSource: 'news', utmMedium: null, utmCampaign: null, utmTerm: null, utmContent: null,
  };
  const snap = (pageviews: number, events: number, minute: number, exitUrl: string, userHash = 'aaaaaaaaaaaaaaaa') =>
    ({ start, userHash, lastSeenAt: Date.UTC(2026, 0, 1, 10, minute), pageviews, events, exitUrl });
  const first = { rows: [row(1)], sessions: [snap(1, 0, 0, 'https://a.example/')] };
  const second = { rows: [row(2), row(3)], sessions: [snap(2, 1, 5, 'https://a.example/2', 'bbbbbbbbbbbbbbbb')] };
  const read = async () => (await db.query<RowDataPacket>('SELECT pageviews, events, exit_url, user_hash, last_seen_at, entry_url, utm_source FROM sessions'))[0];

  await sink.writeBatch(first);
  await sink.writeBatch(second);
  const expected = { pageviews: 2, events: 1, exit_url: 'https://a.example/2', user_hash: 'bbbbbbbbbbbbbbbb', entry_url: 'https://a.example/', utm_source: 'news' };
  t.match(await read(), expected);
  await sink.writeBatch(second); // retried after its commit
  t.match(await read(), expected, 'a retry does not double-count');
  await sink.writeBatch(first); // an older batch replayed late
  t.match(await read(), expected, 'an older snapshot does not move the session backwards');
  t.equal(((await read())?.last_seen_at as Date).getTime(), Date.UTC(2026, 0, 1, 10, 5));
  const [n] = await db.query<RowDataPacket>('SELECT COUNT(*) AS n FROM pageviews');
  t.equal(Number(n?.n), 3);

  const loaded = await sink.loadActiveSessions(Date.UTC(2026, 0, 1, 10, 4), 10);
  t.same(loaded, [snap(2, 1, 5, 'https://a.example/2', 'bbbbbbbbbbbbbbbb')], 'loaded back as it was written');
  t.same(await sink.loadActiveSessions(Date.UTC(2026, 0, 1, 10, 6), 10), [], 'idle sessions are not loaded');
});

t.test('beacons and their sessions commit together: a failing session upsert rolls back the rows', async (t) => {
  const db = await freshDatabase(t);
  await migrateMysql(db.url);
  const sink = new MysqlSink({ url: db.url, poolSize: 1 });
  t.teardown(() => sink.close());
  const bad = {
    start: { id: 'x'.repeat(36), hostname: 'h'.repeat(300), startedAt: 0, entryUrl: 'https://a.example/', entryReferrer: null, utmSource: null, utmMedium: null, utmCampaign: null, utmTerm: null, utmContent: null },
    userHash: 'cccccccccccccccc', lastSeenAt: 1, pageviews: 1, events: 0, exitUrl: null,
  };
  await t.rejects(sink.writeBatch({ rows: [row(7)], sessions: [bad] }), SinkRejectedError);
  const [n] = await db.query<RowDataPacket>('SELECT COUNT(*) AS n FROM pageviews');
  t.equal(Number(n?.n), 0, 'nothing of the batch is stored');
  await sink.writeBatch({ rows: [row(8)], sessions: [] });
  const [m] = await db.query<RowDataPacket>('SELECT COUNT(*) AS n FROM pageviews');
  t.equal(Number(m?.n), 1, 'the connection is usable afterwards');
});

t.test('only known transient errors mean unavailable; anything else is a refusal', async (t) => {
  const unavailable = [
    Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED', errno: -111 }),
    Object.assign(new Error('deadlock'), { code: 'ER_LOCK_DEADLOCK', errno: 1213 }),
    Object.assign(new Error('killed'), { code: 'UNKNOWN_CODE', errno: 1927 }),
    Object.assign(new Error('Connection lost'), { code: 'PROTOCOL_CONNECTION_LOST', fatal: true }),
    Object.assign(new Error('INSERT command denied'), { code: 'ER_TABLEACCESS_DENIED_ERROR', errno: 1142 }),
    Object.assign(new Error('WSREP has not yet prepared node'), { code: 'ER_UNKNOWN_COM_ERROR', errno: 1047 }),
    Object.assign(new Error("Unknown column 'browser' in 'INSERT INTO'"), { code: 'ER_BAD_FIELD_ERROR', errno: 1054 }),
  ];
  for (const err of unavailable) t.type(classifyMysqlError(err), SinkUnavailableError, err.message);
  const refused = [
    new TypeError('Invalid time value'),
    new RangeError('not a finite number: NaN'),
    new Error('no errno, no code'),
    Object.assign(new Error('Data too long'), { code: 'ER_DATA_TOO_LONG', errno: 1406 }),
    Object.assign(new Error("Unknown column 'NaN' in 'field list'"), { code: 'ER_BAD_FIELD_ERROR', errno: 1054 }), // a NaN value, written bare
    'a thrown string',
    undefined,
  ];
  for (const err of refused) t.type(classifyMysqlError(err), SinkRejectedError, String(err));
});

t.test('privileges revoked: a flush is unavailable (kept, retried), not every row dead-lettered', async (t) => {
  const db = await freshDatabase(t);
  await migrateMysql(db.url);
  const user = `bi_ro_${db.name.slice(-6)}`;
  await db.query(`CREATE USER '${user}'@'127.0.0.1'`);
  t.teardown(() => db.query(`DROP USER IF EXISTS '${user}'@'127.0.0.1'`));
  await db.query(`GRANT SELECT ON \`${db.name}\`.* TO '${user}'@'127.0.0.1'`);
  const sink = new MysqlSink({ url: `mysql://${user}@127.0.0.1:3306/${db.name}`, poolSize: 1 });
  t.teardown(() => sink.close());
  await t.rejects(sink.writeBatch({ rows: [row(1)], sessions: [] }), SinkUnavailableError);
});

t.test('a connection that cannot be had is unavailable, whatever the pool says (no code, no errno)', async (t) => {
  const sink = new MysqlSink({ url: 'mysql://root@127.0.0.1:3306/db', poolSize: 1 });
  await sink.close();
  // mysql2: new Error('Pool is closed.'), with neither code nor errno.
  await t.rejects(sink.writeBatch({ rows: [row(1)], sessions: [] }), SinkUnavailableError);
});

t.test('DATABASE_PASSWORD: a password with / # @ ? : % connects, given as it is', async (t) => {
  const db = await freshDatabase(t);
  const user = `bi_pw_${db.name.slice(-6)}`;
  const password = 'pa/ss#1@?:%x';
  await db.query(`CREATE USER '${user}'@'127.0.0.1' IDENTIFIED BY ?`, [password]);
  t.teardown(() => db.query(`DROP USER IF EXISTS '${user}'@'127.0.0.1'`));
  await db.query(`GRANT ALL ON \`${db.name}\`.* TO '${user}'@'127.0.0.1'`);
  const { config } = loadConfig({ DATA_DIR: mkdtempSync(join(tmpdir(), 'bi-pw-')), DATABASE_URL: `mysql://${user}@127.0.0.1:3306/${db.name}`, DATABASE_PASSWORD: password });
  await migrateMysql(config.databaseUrl);
  const sink = new MysqlSink({ url: config.databaseUrl, poolSize: 1 });
  t.teardown(() => sink.close());
  await sink.ping();
  await sink.writeBatch({ rows: [row(1)], sessions: [] });
  const [n] = await db.query<RowDataPacket>('SELECT COUNT(*) AS n FROM pageviews');
  t.equal(Number(n?.n), 1);
});

t.test('a schema behind the code (a migration still running when the database came back): unavailable, never a dead letter', async (t) => {
  const db = await freshDatabase(t);
  await migrateMysql(db.url);
  await db.query('ALTER TABLE pageviews DROP COLUMN browser');
  const sink = new MysqlSink({ url: db.url, poolSize: 1 });
  t.teardown(() => sink.close());
  await t.rejects(sink.writeBatch({ rows: [row(1)], sessions: [] }), SinkUnavailableError, 'retried later, not split and dead-lettered');
});
