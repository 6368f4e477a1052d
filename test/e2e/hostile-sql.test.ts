// Black box, over a real socket, against a MariaDB whose global sql_mode has NO_BACKSLASH_ESCAPES
// (as some hosted servers set it): values built to break out of a backslash-escaped string are
// stored exactly as sent (after the documented sanitising), and nothing they carry runs.
import t from 'tap';
import type { RowDataPacket } from 'mysql2/promise';
import { buildTestApp, CHROME_UA, metricValue } from '../helpers/app.js';
import { freshDatabase } from '../helpers/db.js';
import { serverSqlMode } from '../helpers/sql-mode.js';

// A header carries bytes, not characters: non-ASCII values go in the body only.
const ua = (s: string) => `${CHROME_UA} ${/^[\x20-\x7e]*$/.test(s) ? s : 'x'}`;
// Nothing here is markup or a control character, so the pipeline stores each one as it came.
const HARD = [
  "it's", 'back\\slash', 'trailing\\', "\\'),(", "'),(NULL)#", "x\\'), (SLEEP(3))#", "'; DROP TABLE pageviews; --", '\\N', '%_', '`tick`',
  '{"j":"it\'s \\"q\\""}', '😀 ü', "\\'), (UNHEX('00'), (SELECT HEX(salt) FROM salts LIMIT 1))#",
];

t.test('NO_BACKSLASH_ESCAPES on the server: every hard value stored exactly, nothing injected', async (t) => {
  const db = await freshDatabase(t);
  await serverSqlMode(t, 'NO_BACKSLASH_ESCAPES');
  const h = await buildTestApp(t, { ALLOWED_ORIGINS: 'https://site.example' }, () => {}, db);
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  const address = h.app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const base = `http://127.0.0.1:${address.port}`;

  for (const [i, s] of HARD.entries()) {
    const beacon = { url: `https://site.example/p${i}?q=${encodeURIComponent(s)}`, type: 'event', name: s.slice(0, 64), payload: { s, [s]: [s, 1, null] } };
    const res = await fetch(`${base}/collect`, {
      method: 'POST',
      body: JSON.stringify(beacon),
      headers: { 'content-type': 'text/plain', origin: 'https://site.example', 'user-agent': ua(s) },
    });
    t.equal(res.status, 204);
  }
  await h.flush();
  const rows = await db.query<RowDataPacket>('SELECT url, event_name, user_agent, payload FROM pageviews ORDER BY id');
  t.equal(rows.length, HARD.length, 'one row per beacon: none added, none lost');
  for (const [i, s] of HARD.entries()) {
    const r = rows[i];
    t.equal(r?.event_name, s.slice(0, 64), `event_name ${JSON.stringify(s)}`);
    t.equal(r?.user_agent, ua(s), 'user_agent');
    t.same(r?.payload, { s, [s]: [s, 1, null] }, 'payload');
    t.equal(r?.url, `https://site.example/p${i}?q=${encodeURIComponent(s).replaceAll("'", '%27')}`, 'url');
  }
  const [salt] = await db.query<RowDataPacket>('SELECT HEX(salt) AS hex FROM salts LIMIT 1');
  const all = JSON.stringify(await db.query<RowDataPacket>('SELECT * FROM pageviews'));
  t.notOk(all.includes(String(salt?.hex)), "the day's salt is in no stored column");
  const [sessions] = await db.query<RowDataPacket>('SELECT COUNT(*) AS n FROM sessions');
  t.equal(Number(sessions?.n), new Set(HARD.map(ua)).size, 'a session per visitor (user agent), no more');
  const metrics = await (await fetch(`${base}/metrics`)).text();
  t.equal(metricValue(metrics, 'beacon_rows_written_total'), HARD.length);
  t.equal(metricValue(metrics, 'beacon_dead_letter_rows_total{reason="refused"}'), 0, 'nothing dead-lettered');
});
