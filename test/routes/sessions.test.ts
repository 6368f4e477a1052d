import t from 'tap';
import type { RowDataPacket } from 'mysql2/promise';
import { buildTestApp, CHROME_UA, FIREFOX_UA, type TestApp } from '../helpers/app.js';
import { freshDatabase } from '../helpers/db.js';

const MIN = 60_000;

function clocked(start: number) {
  const clock = { now: start };
  return { clock, adjust: (c: { clock: () => number }) => void (c.clock = () => clock.now) };
}

async function send(h: TestApp, beacon: Record<string, unknown>, ip = '198.51.100.1', ua = CHROME_UA) {
  const res = await h.app.inject({
    method: 'POST',
    url: '/collect',
    payload: JSON.stringify(beacon),
    headers: { 'content-type': 'text/plain', 'user-agent': ua, 'x-forwarded-for': ip },
  });
  if (res.statusCode !== 204) throw new Error(`status ${res.statusCode}`);
}

const beacons = (h: TestApp) =>
  h.db.query<RowDataPacket>('SELECT url, type, session_id, user_hash FROM pageviews ORDER BY id');
const sessions = (h: TestApp) => h.db.query<RowDataPacket>('SELECT * FROM sessions ORDER BY started_at, session_id');

t.test('one visitor within the timeout shares a session; after it, a new one; late performance opens nothing', async (t) => {
  const { clock, adjust } = clocked(Date.UTC(2026, 6, 1, 10));
  const h = await buildTestApp(t, { TRUST_PROXY: 'true' }, adjust);
  await send(h, { url: 'https://shop.example/' });
  clock.now += 29 * MIN;
  await send(h, { url: 'https://shop.example/cart', type: 'click', name: 'checkout' });
  clock.now += 1 * MIN;
  await send(h, { url: 'https://shop.example/cart', type: 'performance', payload: { lcp: 1200 } });
  clock.now += 29 * MIN; // 30 minutes after the click: the session has ended
  await send(h, { url: 'https://shop.example/cart', type: 'performance', payload: { engaged: 3600 } });
  await send(h, { url: 'https://shop.example/cart', type: 'error', payload: { message: 'x' } });
  await send(h, { url: 'https://shop.example/again' });
  await h.flush();
  const rows = await beacons(h);
  const [first] = rows;
  t.match(first?.session_id, /^[0-9a-f-]{36}$/);
  t.same(rows.map((r) => r.session_id === first?.session_id), [true, true, true, false, false, false]);
  t.equal(rows[3]?.session_id, null, 'late performance beacon: no session');
  t.equal(rows[4]?.session_id, null, 'error without an active session: none');
  t.not(rows[5]?.session_id, null, 'the next pageview opens a new session');
  const s = await sessions(h);
  t.equal(s.length, 2, 'no session without a pageview, event or click');
  t.match(s[0], { pageviews: 1, events: 1, exit_url: 'https://shop.example/', entry_url: 'https://shop.example/' });
  t.equal((s[0]?.last_seen_at as Date).getTime(), Date.UTC(2026, 6, 1, 10, 29), 'last seen: the click, not the performance beacon');
  const metrics = (await h.app.inject('/metrics')).body;
  t.match(metrics, /\nbeacon_sessions_active 1\n/, "one visitor, one entry: the new session replaced the ended one");
});

t.test('another IP or another user agent is another visitor', async (t) => {
  const { adjust } = clocked(Date.UTC(2026, 6, 1, 10));
  const h = await buildTestApp(t, { TRUST_PROXY: 'true' }, adjust);
  await send(h, { url: 'https://shop.example/' }, '198.51.100.1', CHROME_UA);
  await send(h, { url: 'https://shop.example/' }, '198.51.100.2', CHROME_UA);
  await send(h, { url: 'https://shop.example/' }, '198.51.100.1', FIREFOX_UA);
  await send(h, { url: 'https://shop.example/' }, '198.51.100.1', CHROME_UA);
  await h.flush();
  const ids = (await beacons(h)).map((r) => r.session_id);
  t.equal(new Set(ids.slice(0, 3)).size, 3);
  t.equal(ids[3], ids[0]);
});

t.test('entry page, first-touch referrer and UTM come from the first beacon only', async (t) => {
  const { clock, adjust } = clocked(Date.UTC(2026, 6, 1, 10));
  const h = await buildTestApp(t, { TRUST_PROXY: 'true' }, adjust);
  await send(h, { url: 'https://shop.example/sale?utm_source=newsletter&utm_medium=email&utm_campaign=july&utm_term=shoes&utm_content=hero', referrer: 'https://mail.example/inbox' });
  clock.now += MIN;
  await send(h, { url: 'https://shop.example/p/1?utm_source=other', referrer: 'https://www.google.com/' });
  clock.now += MIN;
  await send(h, { url: 'https://shop.example/p/2', referrer: 'https://shop.example/p/1' });
  // Another visitor arriving from the site's own pages (a reload after 30 minutes): no first touch.
  await send(h, { url: 'https://shop.example/p/3', referrer: 'https://www.shop.example/p/2' }, '198.51.100.9');
  await h.flush();
  const [s, own] = await sessions(h);
  t.match(s, {
    entry_url: 'https://shop.example/sale?utm_source=newsletter&utm_medium=email&utm_campaign=july&utm_term=shoes&utm_content=hero',
    entry_referrer: 'https://mail.example/inbox',
    utm_source: 'newsletter', utm_medium: 'email', utm_campaign: 'july', utm_term: 'shoes', utm_content: 'hero',
    pageviews: 3, events: 0, exit_url: 'https://shop.example/p/2', hostname: 'shop.example',
  });
  t.match(own, { entry_url: 'https://shop.example/p/3', entry_referrer: null, utm_source: null });
});

t.test('counts and exit page are right when a session spans several flushes', async (t) => {
  const { clock, adjust } = clocked(Date.UTC(2026, 6, 1, 10));
  const h = await buildTestApp(t, { TRUST_PROXY: 'true' }, adjust);
  const steps: [Record<string, unknown>, boolean][] = [
    [{ url: 'https://shop.example/a' }, true],
    [{ url: 'https://shop.example/a', type: 'event', name: 'signup' }, false],
    [{ url: 'https://shop.example/b' }, true],
    [{ url: 'https://shop.example/b', type: 'click', name: 'buy' }, true],
    [{ url: 'https://shop.example/b', type: 'error' }, true],
    [{ url: 'https://shop.example/c' }, false],
    [{ url: 'https://shop.example/c', type: 'event', name: 'done' }, true],
  ];
  for (const [beacon, flush] of steps) {
    clock.now += MIN;
    await send(h, beacon);
    if (flush) await h.flush();
  }
  const s = await sessions(h);
  t.equal(s.length, 1);
  t.match(s[0], { pageviews: 3, events: 3, exit_url: 'https://shop.example/c' });
  t.equal((s[0]?.last_seen_at as Date).getTime(), Date.UTC(2026, 6, 1, 10, 7));
  t.equal((s[0]?.started_at as Date).getTime(), Date.UTC(2026, 6, 1, 10, 1));
  const bounce = await h.db.query<RowDataPacket>('SELECT SUM(pageviews = 1 AND events = 0) AS bounces FROM sessions');
  t.equal(Number(bounce[0]?.bounces), 0);
});

t.test('a restart within the timeout keeps the session (warmed from the sessions table)', async (t) => {
  const db = await freshDatabase(t);
  const { clock, adjust } = clocked(Date.UTC(2026, 6, 1, 10));
  const first = await buildTestApp(t, { TRUST_PROXY: 'true' }, adjust, db);
  await send(first, { url: 'https://shop.example/before' });
  await first.app.close(); // drains into the database
  clock.now += 20 * MIN;
  const second = await buildTestApp(t, { TRUST_PROXY: 'true' }, adjust, db);
  await send(second, { url: 'https://shop.example/after' });
  await second.flush();
  const rows = await beacons(second);
  t.equal(rows.length, 2);
  t.equal(rows[1]?.session_id, rows[0]?.session_id, 'same session across the restart');
  const s = await sessions(second);
  t.equal(s.length, 1);
  t.match(s[0], { pageviews: 2, exit_url: 'https://shop.example/after', entry_url: 'https://shop.example/before' });
  const metrics = (await second.app.inject('/metrics')).body;
  t.match(metrics, /beacon_sessions_active 1/);
});

t.test('salt rotation at UTC midnight does not split an active session, even across a restart', async (t) => {
  const db = await freshDatabase(t);
  const { clock, adjust } = clocked(Date.UTC(2026, 6, 1, 23, 50));
  const h = await buildTestApp(t, { TRUST_PROXY: 'true' }, adjust, db);
  await send(h, { url: 'https://shop.example/late-night' });
  clock.now = Date.UTC(2026, 6, 2, 0, 5);
  await send(h, { url: 'https://shop.example/after-midnight' });
  await h.app.close();
  clock.now = Date.UTC(2026, 6, 2, 0, 30); // past the lookup window for yesterday's salt, within the session
  const again = await buildTestApp(t, { TRUST_PROXY: 'true' }, adjust, db);
  await send(again, { url: 'https://shop.example/still-here' });
  await again.flush();
  const rows = await beacons(again);
  t.equal(rows.length, 3);
  t.equal(new Set(rows.map((r) => r.session_id)).size, 1, 'one session from 23:50 to 00:30');
  t.not(rows[0]?.user_hash, rows[1]?.user_hash, 'the visitor hash did rotate');
  t.equal(rows[1]?.user_hash, rows[2]?.user_hash);
  const [s] = await sessions(again);
  t.match(s, { pageviews: 3, user_hash: rows[2]?.user_hash, exit_url: 'https://shop.example/still-here' });
});
