// The sink owns its SQL session: whatever the server's global sql_mode (hosted MySQL/MariaDB
// sometimes set NO_BACKSLASH_ESCAPES or ANSI_QUOTES), hard strings are stored byte for byte and
// nothing a sender writes can become SQL. The global mode is changed for this file and restored.
import t from 'tap';
import type { RowDataPacket } from 'mysql2/promise';
import { migrateMysql } from '../../src/sinks/mysql-migrate.js';
import { MysqlSink } from '../../src/sinks/mysql-sink.js';
import { SinkRejectedError, SinkUnavailableError, type SessionSnapshot } from '../../src/sinks/sink.js';
import { freshDatabase } from '../helpers/db.js';
import { HARD_STRINGS, serverSqlMode } from '../helpers/sql-mode.js';
import { row } from '../helpers/rows.js';

for (const mode of ['NO_BACKSLASH_ESCAPES', 'ANSI_QUOTES', 'NO_BACKSLASH_ESCAPES,ANSI_QUOTES']) {
  t.test(`server sql_mode +${mode}: hard strings stored byte for byte, nothing injected`, async (t) => {
    const db = await freshDatabase(t);
    await serverSqlMode(t, mode);
    await migrateMysql(db.url);
    const sink = new MysqlSink({ url: db.url, poolSize: 2 });
    t.teardown(() => sink.close());

    const rows = HARD_STRINGS.map((s, i) =>
      row(i, {
        eventName: s.slice(0, 64),
        userAgent: s,
        browser: s.slice(0, 64),
        referrer: s,
        url: `https://a.example/${i}?q=${s}`,
        payload: JSON.stringify({ s, [s]: [s] }),
        session: null,
      }),
    );
    const session: SessionSnapshot = {
      start: {
        id: '6f1c7a52-1f6e-4b7e-9a51-0c1d2e3f4a5b', hostname: 'a.example', startedAt: Date.UTC(2026, 0, 1), entryUrl: HARD_STRINGS.join('|'),
        entryReferrer: "x'),('", utmSource: 'a\\', utmMedium: "'", utmCampaign: '"', utmTerm: '\0', utmContent: '\\\'',
      },
      userHash: 'abcdef0123456789', lastSeenAt: Date.UTC(2026, 0, 1, 0, 1), pageviews: 1, events: 2, exitUrl: "\\'),(NULL)#",
    };
    await sink.writeBatch({ rows, sessions: [session] });

    const stored = await db.query<RowDataPacket>('SELECT beacon_id, event_name, user_agent, browser, referrer, url, payload FROM pageviews ORDER BY server_timestamp');
    t.equal(stored.length, rows.length, 'exactly the rows written: none added, none lost');
    for (const [i, s] of HARD_STRINGS.entries()) {
      const r = stored[i];
      t.same(r?.beacon_id, rows[i]?.beaconId, `row ${i} in order`);
      t.equal(r?.event_name, s.slice(0, 64), `event_name #${i}`);
      t.equal(r?.user_agent, s, `user_agent #${i}`);
      t.equal(r?.browser, s.slice(0, 64));
      t.equal(r?.referrer, s);
      t.equal(r?.url, `https://a.example/${i}?q=${s}`);
      t.same(r?.payload, { s, [s]: [s] }, `payload #${i}`);
    }
    const [stored1] = await db.query<RowDataPacket>('SELECT * FROM sessions');
    t.match(stored1, {
      entry_url: HARD_STRINGS.join('|'), entry_referrer: "x'),('", utm_source: 'a\\', utm_medium: "'", utm_campaign: '"', utm_term: '\0',
      utm_content: '\\\'', exit_url: "\\'),(NULL)#", pageviews: 1, events: 2,
    });
    const [sessionCount] = await db.query<RowDataPacket>('SELECT COUNT(*) AS n FROM sessions');
    t.equal(Number(sessionCount?.n), 1);

    // Every other statement the sink sends takes values too.
    const salt = await sink.getOrCreateSalt('2026-01-01', Buffer.from("'\\\0\"".repeat(8)));
    t.same(salt, Buffer.from("'\\\0\"".repeat(8)));
    const loaded = await sink.loadActiveSessions(Date.UTC(2026, 0, 1), 10);
    t.same(loaded, [session], 'sessions read back as written');
  });
}

t.test('an injection aimed at a backslash-escaping writer under NO_BACKSLASH_ESCAPES stores the text, nothing else', async (t) => {
  const db = await freshDatabase(t);
  await serverSqlMode(t, 'NO_BACKSLASH_ESCAPES');
  await migrateMysql(db.url);
  const sink = new MysqlSink({ url: db.url, poolSize: 1 });
  t.teardown(() => sink.close());
  await sink.getOrCreateSalt('2026-01-01', Buffer.alloc(32, 7));
  // Escaped as \' by a writer that assumes backslash escapes, the quote would end the string here.
  const evil = "x\\'), (UNHEX('00000000000000000000000000000099'), 'https://evil.example/', 'evil.example', 'pageview', (SELECT HEX(salt) FROM salts LIMIT 1), NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, NOW(3), NULL, NULL, NULL, 'eeeeeeeeeeeeeeee', NULL)#";
  const sleeper = "x'), (SLEEP(5))#";
  const victim = row(2, { eventName: 'victim' });
  await sink.writeBatch({ rows: [row(1, { userAgent: evil, eventName: evil.slice(0, 64) }), victim, row(3, { userAgent: sleeper })], sessions: [] });
  const stored = await db.query<RowDataPacket>('SELECT url, event_name, user_agent FROM pageviews ORDER BY id');
  t.same(stored.map((r) => r.user_agent), [evil, null, sleeper], 'three rows, the texts as sent');
  t.equal(stored[1]?.event_name, 'victim', "the other visitor's row is stored");
  t.notOk(stored.some((r) => String(r.url).includes('evil')), 'no row of the sender\'s choosing');
});

t.test('a server whose global sql_mode is empty (not strict): a value too long is refused, never cut silently', async (t) => {
  const db = await freshDatabase(t);
  await serverSqlMode(t, null);
  await migrateMysql(db.url);
  const sink = new MysqlSink({ url: db.url, poolSize: 1 });
  t.teardown(() => sink.close());
  await t.rejects(sink.writeBatch({ rows: [row(1, { hostname: 'h'.repeat(300) })], sessions: [] }), SinkRejectedError);
  const [n] = await db.query<RowDataPacket>('SELECT COUNT(*) AS n FROM pageviews');
  t.equal(Number(n?.n), 0);
});

t.test('a connection made again after the old one was killed gets our session too', async (t) => {
  const db = await freshDatabase(t);
  await migrateMysql(db.url);
  const sink = new MysqlSink({ url: db.url, poolSize: 1 });
  t.teardown(() => sink.close());
  await sink.writeBatch({ rows: [row(1, { eventName: "it's" })], sessions: [] }); // the first connection, made before the change
  await serverSqlMode(t, 'NO_BACKSLASH_ESCAPES');
  const [me] = await db.query<RowDataPacket>('SELECT CONNECTION_ID() AS id');
  const others = await db.query<RowDataPacket>('SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND ID <> ?', [me?.id]);
  t.equal(others.length, 1, "the sink's one connection");
  await db.query(`KILL CONNECTION ${Number(others[0]?.id)}`);
  const rows = HARD_STRINGS.map((s, i) => row(10 + i, { eventName: s.slice(0, 64), userAgent: s }));
  // The pool may hand out the killed connection once: that flush is unavailable (kept, retried).
  await sink.writeBatch({ rows, sessions: [] }).catch((err: unknown) => {
    t.type(err, SinkUnavailableError);
    return sink.writeBatch({ rows, sessions: [] });
  });
  const stored = await db.query<RowDataPacket>('SELECT user_agent FROM pageviews WHERE user_agent IS NOT NULL ORDER BY server_timestamp');
  t.same(stored.map((r) => r.user_agent), HARD_STRINGS, 'stored byte for byte on the new connection');
});
