// Limits hold for the values as stored (after stripping, userinfo removal, serialisation and
// encoding), and no host name carries markup into a column: issue 13, findings 3 and 4.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { RowDataPacket } from 'mysql2/promise';
import { buildTestApp, CHROME_UA, FIREFOX_UA, metricValue, type TestApp } from '../helpers/app.js';

async function send(h: TestApp, beacon: unknown, ua = CHROME_UA) {
  const res = await h.app.inject({
    method: 'POST',
    url: '/collect',
    payload: JSON.stringify(beacon),
    headers: { 'content-type': 'text/plain', 'user-agent': ua },
  });
  if (res.statusCode !== 204) throw new Error(`status ${res.statusCode}`);
}
const pageviews = (h: TestApp) => h.db.query<RowDataPacket>('SELECT url, hostname, referrer FROM pageviews ORDER BY id');
const sessions = (h: TestApp) => h.db.query<RowDataPacket>('SELECT entry_url, entry_referrer, exit_url, hostname FROM sessions ORDER BY started_at, entry_url');
const metric = async (h: TestApp, series: string) => metricValue((await h.app.inject('/metrics')).body, series);

/** Rows dead-lettered, whatever labels the counter carries. */
async function deadLettered(h: TestApp): Promise<number> {
  return (await h.app.metrics.deadLetterRows.get()).values.reduce((sum, v) => sum + v.value, 0);
}

/** A URL of exactly `length` characters as the WHATWG parser serialises it, with `quotes` apostrophes in its path. */
function longUrl(length: number, quotes: number): string {
  const head = 'https://example.com/' + "'x".repeat(quotes);
  return head + 'a'.repeat(length - head.length);
}

t.test('a url that grows past 2048 when its quotes are encoded is dropped, and the visitor\'s session is not poisoned', async (t) => {
  const h = await buildTestApp(t);
  const grows = longUrl(2040, 5);
  t.equal(new URL(grows).href.length, 2040, 'within the limit as sent and as parsed');
  await send(h, { url: grows });
  await send(h, { url: 'https://example.com/next' });
  await h.flush();
  t.same((await pageviews(h)).map((r) => r.url), ['https://example.com/next'], 'the second beacon is stored');
  const [s] = await sessions(h);
  t.equal(s?.entry_url, 'https://example.com/next', 'the session starts with the beacon that could be stored');
  t.equal(await deadLettered(h), 0, 'nothing dead-lettered');
  t.notOk(existsSync(join(h.config.spoolDir, 'dead-letter.ndjson')), 'no dead-letter file');
  t.equal(await metric(h, 'beacon_rejected_total{reason="invalid_url"}'), 1, 'dropped as invalid_url');
});

t.test('a url exactly 2048 characters as stored is kept whole', async (t) => {
  const h = await buildTestApp(t);
  const fits = longUrl(2048 - 10, 5); // each of 5 quotes becomes %27: +10
  await send(h, { url: fits });
  await h.flush();
  const [row] = await pageviews(h);
  t.equal(row?.url.length, 2048);
  t.equal(row?.url, fits.replaceAll("'", '%27'));
  t.equal((await sessions(h))[0]?.entry_url, row?.url);
});

t.test('a referrer too long as stored is stored NULL, never cut in the middle of an escape', async (t) => {
  const h = await buildTestApp(t);
  // 721 as sent, 2121 once every ' is %27: cut at 2048, it would end in half an escape ("…%27%2").
  const quotes = 'https://ref.example/x' + "'".repeat(700);
  // 2040 as sent, 2080 once every < is %3C.
  const brackets = 'https://ref.example/' + '<'.repeat(20) + 'b'.repeat(2000);
  await send(h, { url: 'https://example.com/r', referrer: quotes });
  await send(h, { url: 'https://example.com/r2', referrer: brackets, type: 'event' });
  await h.flush();
  const rows = await pageviews(h);
  t.same(rows.map((r) => r.referrer), [null, null]);
  t.equal((await sessions(h))[0]?.entry_referrer, null);
  t.equal(await metric(h, 'beacon_fields_dropped_total{field="referrer"}'), 2, 'counted');
  t.equal(await deadLettered(h), 0);
});

const HOSTILE_HOSTS = [
  'https://a"onmouseover="alert(1)"b.example/',
  "https://a'onmouseover='alert(1)'b.example/",
  'https://a`b{c}(d)!$&*+,;=~.example/',
  'https://a%22b.example/',
  'https://a..b.example/',
  `https://${'a'.repeat(64)}.example/`,
  `https://${'abcdefghi.'.repeat(26)}example/`,
];

t.test('a url whose host is no host name is dropped with reason invalid_url', async (t) => {
  const h = await buildTestApp(t, { LOG_LEVEL: 'debug' });
  for (const url of HOSTILE_HOSTS) await send(h, { url });
  await send(h, { url: 'https://Ok_host-1.Example./x' });
  await send(h, { url: 'https://bücher.example/' });
  await send(h, { url: 'https://0x7f.1/' });
  await send(h, { url: 'https://[2001:DB8::1]:8443/' });
  await h.flush();
  t.same((await pageviews(h)).map((r) => [r.url, r.hostname]), [
    ['https://ok_host-1.example./x', 'ok_host-1.example.'],
    ['https://xn--bcher-kva.example/', 'xn--bcher-kva.example'],
    ['https://127.0.0.1/', '127.0.0.1'],
    ['https://[2001:db8::1]:8443/', '[2001:db8::1]'],
  ]);
  t.equal(await metric(h, 'beacon_rejected_total{reason="invalid_url"}'), HOSTILE_HOSTS.length);
  const lines = h.logs.filter((l) => l.msg === 'beacon rejected' && l.reason === 'invalid_url');
  t.equal(lines.length, HOSTILE_HOSTS.length, 'one debug line each, with the reason');
});

t.test('a referrer whose host is no host name is stored NULL; no stored column holds quotes or angle brackets', async (t) => {
  const h = await buildTestApp(t);
  const referrers = [
    ...HOSTILE_HOSTS,
    'android-app://com.a"onload="x/',
    'android-app://com.example-app/',
    'https://ref.example/"><script>',
  ];
  for (const [i, referrer] of referrers.entries()) {
    await send(h, { url: `https://site${i}.example/p`, referrer }, i % 2 === 0 ? CHROME_UA : FIREFOX_UA);
  }
  await send(h, { url: 'https://site.example/', referrer: 'android-app://com.Google.android_gm/' });
  await h.flush();
  const rows = await pageviews(h);
  t.equal(rows.length, referrers.length + 1, 'every beacon stored');
  t.same(rows.map((r) => r.referrer), [
    ...referrers.slice(0, -1).map(() => null),
    'https://ref.example/%22%3E%3Cscript%3E',
    'android-app://com.Google.android_gm/',
  ]);
  t.equal(await metric(h, 'beacon_fields_dropped_total{field="referrer"}'), referrers.length - 1);
  const all = [...rows, ...(await sessions(h))];
  for (const row of all) {
    for (const [column, value] of Object.entries(row)) {
      if (typeof value === 'string') t.notMatch(value, /["'<>]/, `${column} ${value.slice(0, 60)}`);
    }
  }
});

t.test('userinfo is removed from every stored URL', async (t) => {
  const h = await buildTestApp(t);
  await send(h, { url: 'https://user:pa%27ss@example.com/in', referrer: 'https://me:secret@ref.example/from' });
  await send(h, { url: 'https://user@example.com/out' });
  await send(h, { url: 'https://example.com/x', referrer: 'android-app://u:p@com.google.android.gm/', type: 'event' }, FIREFOX_UA);
  await h.flush();
  t.same((await pageviews(h)).map((r) => [r.url, r.referrer]), [
    ['https://example.com/in', 'https://ref.example/from'],
    ['https://example.com/out', null],
    ['https://example.com/x', 'android-app://com.google.android.gm/'],
  ]);
  const s = await sessions(h);
  t.match(s[0], { entry_url: 'https://example.com/in', entry_referrer: 'https://ref.example/from', exit_url: 'https://example.com/out' });
  t.equal(s[1]?.entry_referrer, 'android-app://com.google.android.gm/');
  const text = JSON.stringify(await h.db.query('SELECT * FROM pageviews')) + JSON.stringify(await h.db.query('SELECT * FROM sessions'));
  t.notMatch(text, /secret|pa%27ss|user@|u:p@/, 'no userinfo anywhere');
});

t.test('the debug endpoint explains invalid_url', async (t) => {
  const h = await buildTestApp(t, { DEBUG_ENDPOINT: 'true' });
  const res = await h.app.inject({
    method: 'POST',
    url: '/collect/debug',
    payload: JSON.stringify([{ url: HOSTILE_HOSTS[0] }, { url: longUrl(2040, 5) }, { url: 'https://example.com/', referrer: HOSTILE_HOSTS[1] }]),
    headers: { 'content-type': 'text/plain', 'user-agent': CHROME_UA },
  });
  t.equal(res.statusCode, 200);
  const report = res.json();
  t.match(report.beacons[0], { accepted: false, reason: 'invalid_url', detail: /host/ });
  t.match(report.beacons[1], { accepted: false, reason: 'invalid_url', detail: /2048/ });
  t.match(report.beacons[2], { accepted: true, fieldsStoredNull: ['referrer'], row: { referrer: null } });
});

t.test("the session's UTM fields fit their VARCHAR(255) in characters (code points), markup out", async (t) => {
  const h = await buildTestApp(t);
  const source = encodeURIComponent("<b>x</b>'" + 'a'.repeat(300));
  // 260 code points, 320 UTF-16 units, 920 characters encoded: cut to 255 code points, 310 units.
  const campaign = encodeURIComponent('a'.repeat(200) + '🌍'.repeat(60));
  await send(h, { url: `https://example.com/?utm_source=${source}&utm_campaign=${campaign}` });
  await h.flush();
  const [s] = await h.db.query<RowDataPacket>('SELECT utm_source, utm_campaign FROM sessions');
  t.equal(s?.utm_source, "x'" + 'a'.repeat(253), 'markup out, then cut');
  t.equal(s?.utm_campaign, 'a'.repeat(200) + '🌍'.repeat(55), 'cut by code points, as the column counts');
  t.equal(await deadLettered(h), 0);
});
