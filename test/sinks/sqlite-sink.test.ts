// The embedded store's own guarantees, the same as the MySQL sink's (test/sinks/mysql-sink.test.ts).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from '../../src/sinks/sqlite-driver.js';
import t, { type Test } from 'tap';
import { SinkRejectedError, type PageviewRow } from '../../src/sinks/sink.js';
import { migrateSqlite } from '../../src/sinks/sqlite-migrate.js';
import { SqliteSink } from '../../src/sinks/sqlite-sink.js';
import { runScript } from '../helpers/process.js';

function row(n: number, over: Partial<PageviewRow> = {}): PageviewRow {
  const id = Buffer.alloc(16);
  id.writeUInt32BE(n, 12);
  return {
    beaconId: id, url: `https://a.example/${n}`, hostname: 'a.example', type: 'pageview', eventName: null, userAgent: null, browser: null, os: null,
    device: null, isBot: false, viewportWidth: null, viewportHeight: null, referrer: null, clientTimestamp: null,
    serverTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, n)), clientIp: null, sessionId: null, payload: null,
    userHash: 'abcdef0123456789', geoCountry: null, session: null, approxBytes: 300, ...over,
  };
}

async function fresh(t: Test) {
  const path = join(mkdtempSync(join(tmpdir(), 'bi-sqlite-sink-')), 'analytics.db');
  await migrateSqlite(path);
  const sink = new SqliteSink(path);
  t.teardown(() => sink.close());
  const db = new Database(path, { readonly: true });
  t.teardown(() => db.close());
  return { path, sink, db };
}

t.test('migrations: two processes at once apply each once; the tables mirror MySQL', async (t) => {
  const path = join(mkdtempSync(join(tmpdir(), 'bi-sqlite-mig-')), 'analytics.db');
  const migrate = () => runScript('src/migrate.ts', { ...process.env, DATABASE_URL: `sqlite:${path}` });
  const [a, b] = await Promise.all([migrate(), migrate()]);
  t.same([a.code, b.code], [0, 0], a.out + b.out);
  t.same([a.out, b.out].map((o) => o.startsWith('applied')).sort(), [false, true], 'one applied, the other found nothing to do');
  t.same((await migrateSqlite(path)).applied, []);
  const db = new Database(path, { readonly: true });
  t.teardown(() => db.close());
  const cols = (table: string) => (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name).sort();
  t.same(cols('pageviews'), [
    'beacon_id', 'browser', 'client_ip', 'client_timestamp', 'created_at', 'device', 'event_name', 'geo_country', 'hostname', 'id', 'is_bot',
    'os', 'payload', 'referrer', 'server_timestamp', 'session_id', 'type', 'url', 'user_agent', 'user_hash', 'viewport_height', 'viewport_width',
  ]);
  t.same(cols('sessions'), ['entry_referrer', 'entry_url', 'events', 'exit_url', 'hostname', 'last_seen_at', 'pageviews', 'session_id', 'started_at',
    'user_hash', 'utm_campaign', 'utm_content', 'utm_medium', 'utm_source', 'utm_term']);
  t.equal(db.pragma('journal_mode', { simple: true }), 'wal');
});

t.test('writes are idempotent on beacon_id; times are ISO-8601 UTC text', async (t) => {
  const { sink, db } = await fresh(t);
  const batch = Array.from({ length: 300 }, (_, i) => row(i));
  await sink.writeBatch({ rows: batch, sessions: [] });
  await sink.writeBatch({ rows: batch.slice(50, 150), sessions: [] });
  t.equal((db.prepare('SELECT COUNT(*) AS n FROM pageviews').get() as { n: number }).n, 300);
  const latest = db.prepare('SELECT id, url, type, server_timestamp, client_ip FROM pageviews ORDER BY id DESC LIMIT 1').get() as { url: string; server_timestamp: string };
  t.equal(latest.url, 'https://a.example/299');
  t.equal(latest.server_timestamp, '2026-01-01T00:00:00.299Z');
});

t.test('session upserts: a retried flush and an older batch after a newer one change nothing', async (t) => {
  const { sink, db } = await fresh(t);
  const start = { id: '6f1c7a52-1f6e-4b7e-9a51-0c1d2e3f4a5b', hostname: 'a.example', startedAt: Date.UTC(2026, 0, 1, 10), entryUrl: 'https://a.example/', entryReferrer: null, utmSource: 'news', utmMedium: null, utmCampaign: null, utmTerm: null, utmContent: null };
  const snap = (pageviews: number, events: number, minute: number, exitUrl: string, userHash = 'aaaaaaaaaaaaaaaa') => ({ start, userHash, lastSeenAt: Date.UTC(2026, 0, 1, 10, minute), pageviews, events, exitUrl });
  const first = { rows: [row(1)], sessions: [snap(1, 0, 0, 'https://a.example/')] };
  const second = { rows: [row(2), row(3)], sessions: [snap(2, 1, 5, 'https://a.example/2', 'bbbbbbbbbbbbbbbb')] };
  const read = () => db.prepare('SELECT pageviews, events, exit_url, user_hash, last_seen_at, utm_source FROM sessions').get();
  await sink.writeBatch(first);
  await sink.writeBatch(second);
  const expected = { pageviews: 2, events: 1, exit_url: 'https://a.example/2', user_hash: 'bbbbbbbbbbbbbbbb', last_seen_at: '2026-01-01T10:05:00.000Z', utm_source: 'news' };
  t.same(read(), expected);
  await sink.writeBatch(second);
  t.same(read(), expected, 'a retry does not double-count');
  await sink.writeBatch(first);
  t.same(read(), expected, 'an older snapshot does not move it backwards');
  t.same(await sink.loadActiveSessions(Date.UTC(2026, 0, 1, 10, 4), 10), [snap(2, 1, 5, 'https://a.example/2', 'bbbbbbbbbbbbbbbb')]);
});

t.test('refused data is a SinkRejectedError and rolls back the whole batch', async (t) => {
  const { sink, db } = await fresh(t);
  await t.rejects(sink.writeBatch({ rows: [row(1), row(2, { payload: '{broken' })], sessions: [] }), SinkRejectedError);
  await t.rejects(sink.writeBatch({ rows: [row(3, { hostname: 'h'.repeat(300) })], sessions: [] }), SinkRejectedError);
  t.equal((db.prepare('SELECT COUNT(*) AS n FROM pageviews').get() as { n: number }).n, 0);
});

t.test('salts: first writer wins, old ones pruned', async (t) => {
  const { sink } = await fresh(t);
  const a = await sink.getOrCreateSalt('2026-03-01', Buffer.alloc(32, 1));
  const b = await sink.getOrCreateSalt('2026-03-01', Buffer.alloc(32, 2));
  t.same(a, b);
  await sink.getOrCreateSalt('2026-03-02', Buffer.alloc(32, 3));
  t.equal(await sink.deleteSaltsBefore('2026-03-02'), 1);
});
