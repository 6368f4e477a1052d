import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { RowDataPacket } from 'mysql2/promise';
import { buildApp } from '../../src/app.js';
import { buildTestApp, CHROME_UA, metricValue, SAFARI_IOS_UA, testConfig, type TestApp } from '../helpers/app.js';
import { freshDatabase } from '../helpers/db.js';
import { buildMmdb } from '../helpers/mmdb-writer.js';

async function send(h: TestApp, beacon: unknown, headers: Record<string, string> = {}) {
  const res = await h.app.inject({
    method: 'POST',
    url: '/collect',
    payload: typeof beacon === 'string' ? beacon : JSON.stringify(beacon),
    headers: { 'content-type': 'text/plain', 'user-agent': CHROME_UA, ...headers },
  });
  if (res.statusCode !== 204) throw new Error(`status ${res.statusCode}`);
}
const rows = (h: TestApp) => h.db.query<RowDataPacket>('SELECT * FROM pageviews ORDER BY id');
const rejected = async (h: TestApp, reason: string) => metricValue((await h.app.inject('/metrics')).body, `beacon_rejected_total{reason="${reason}"}`);

t.test('GeoIP from the bundled database behind a trusted proxy: 8.8.8.8 is US', async (t) => {
  const h = await buildTestApp(t, { TRUST_PROXY: '127.0.0.1' });
  await send(h, { url: 'https://example.com/' }, { 'x-forwarded-for': '8.8.8.8' });
  await send(h, { url: 'https://example.com/v6' }, { 'x-forwarded-for': '2001:4860:4860::8888' });
  await send(h, { url: 'https://example.com/private' }, { 'x-forwarded-for': '10.0.0.1' });
  await h.flush();
  t.same((await rows(h)).map((r) => r.geo_country), ['US', 'US', null]);
});

t.test('GEOIP_DB: another file in the MaxMind shape; off gives NULL; a missing file stops the start', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bi-geo-'));
  const file = join(dir, 'GeoLite2-Country.mmdb');
  writeFileSync(file, buildMmdb([['203.0.113.0/24', { country: { iso_code: 'DE' } }]]));
  const custom = await buildTestApp(t, { TRUST_PROXY: 'loopback', GEOIP_DB: file });
  await send(custom, { url: 'https://example.com/' }, { 'x-forwarded-for': '203.0.113.50' });
  await send(custom, { url: 'https://example.com/' }, { 'x-forwarded-for': '8.8.8.8' });
  await custom.flush();
  t.same((await rows(custom)).map((r) => r.geo_country), ['DE', null], 'only what the given file knows');

  const off = await buildTestApp(t, { TRUST_PROXY: 'loopback', GEOIP_DB: 'off' });
  await send(off, { url: 'https://example.com/' }, { 'x-forwarded-for': '8.8.8.8' });
  await off.flush();
  t.equal((await rows(off))[0]?.geo_country, null);

  const db = await freshDatabase(t);
  await t.rejects(buildApp(testConfig(db.url, { GEOIP_DB: join(dir, 'missing.mmdb') }), { logger: false }), /GEOIP_DB .*missing\.mmdb.*no such file/);
});

t.test('bots are dropped with reason bot; KEEP_BOTS stores them flagged and outside sessions', async (t) => {
  const bots = ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'curl/8.5.0',
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36'];
  const h = await buildTestApp(t);
  for (const ua of bots) await send(h, [{ url: 'https://example.com/a' }, { url: 'https://example.com/b' }], { 'user-agent': ua });
  await send(h, { url: 'https://example.com/human' }, { 'user-agent': SAFARI_IOS_UA });
  await h.flush();
  const stored = await rows(h);
  t.same(stored.map((r) => r.url), ['https://example.com/human']);
  t.match(stored[0], { browser: 'Safari', os: 'iOS', device: 'mobile', is_bot: 0 });
  t.equal(await rejected(h, 'bot'), 6, 'counted per beacon');

  const keep = await buildTestApp(t, { KEEP_BOTS: 'true' });
  await send(keep, { url: 'https://example.com/' }, { 'user-agent': bots[0] as string });
  await send(keep, { url: 'https://example.com/' });
  await keep.flush();
  const kept = await rows(keep);
  t.match(kept[0], { is_bot: 1, session_id: null, browser: 'Googlebot' });
  t.match(kept[1], { is_bot: 0, browser: 'Chrome', os: 'Windows', device: 'desktop' });
  const [s] = await keep.db.query<RowDataPacket>('SELECT COUNT(*) AS n FROM sessions');
  t.equal(Number(s?.n), 1, 'the bot opened no session');
});

t.test('IP_STORAGE: each mode stores what it says, and no log line ever holds the full address', async (t) => {
  const ip = '203.0.113.77';
  const expected: Record<string, string | null> = { full: ip, truncated: '203.0.113.0', none: null };
  for (const mode of ['full', 'truncated', 'none']) {
    const h = await buildTestApp(t, { TRUST_PROXY: 'loopback', IP_STORAGE: mode, LOG_LEVEL: 'trace', ALLOWED_ORIGINS: 'https://example.com' });
    const headers = { 'x-forwarded-for': ip };
    await send(h, { url: 'https://example.com/ok' }, headers);
    await send(h, '{broken', headers);
    await send(h, { url: 'ftp://nope' }, headers);
    await send(h, { url: 'https://example.com/' }, { ...headers, 'user-agent': 'curl/8.5.0' });
    await send(h, { url: 'https://example.com/' }, { ...headers, origin: 'https://evil.test' });
    await send(h, { url: 'https://evil.test/' }, headers);
    await h.app.inject({ method: 'GET', url: '/nowhere', headers });
    await h.flush();
    const [row] = await rows(h);
    t.equal(row?.client_ip, expected[mode], `${mode}: stored ${String(expected[mode])}`);
    t.ok(h.logs.length > 5, `${mode}: logs were written`);
    t.notMatch(JSON.stringify(h.logs), /203\.0\.113\.77/, `${mode}: the full address is in no log line`);
  }
});

t.test('URL_QUERY_STRIP removes only the listed parameters, from url, referrer and logs', async (t) => {
  const h = await buildTestApp(t, { LOG_LEVEL: 'debug' });
  await send(h, {
    url: 'https://example.com/reset?token=s3cr3t&utm_source=mail&Email=a%40b.c&q=shoes&keyword=x',
    referrer: 'https://mail.example/open?sid=abc&folder=inbox',
  });
  await send(h, { url: 'https://example.com/plain?a=1&b=%20two' });
  await send(h, '{"url": "https://example.com/?token=leaked-secret&x=1", oops}');
  await h.flush();
  const [a, b] = await rows(h);
  t.equal(a?.url, 'https://example.com/reset?utm_source=mail&q=shoes&keyword=x', 'token and Email gone, keyword kept');
  t.equal(a?.referrer, 'https://mail.example/open?folder=inbox');
  t.equal(b?.url, 'https://example.com/plain?a=1&b=%20two', 'untouched when nothing is stripped');
  const [s] = await h.db.query<RowDataPacket>('SELECT entry_url, utm_source FROM sessions');
  t.match(s, { entry_url: 'https://example.com/reset?utm_source=mail&q=shoes&keyword=x', utm_source: 'mail' });
  const logs = JSON.stringify(h.logs);
  t.notMatch(logs, /leaked-secret/, 'not in the rejection excerpt');
  t.match(logs, /token=\[redacted\]/);

  const custom = await buildTestApp(t, { URL_QUERY_STRIP: 'q' });
  await send(custom, { url: 'https://example.com/?q=private&token=kept' });
  await custom.flush();
  t.equal((await rows(custom))[0]?.url, 'https://example.com/?token=kept', 'the list is configurable');
});

t.test('EXCLUDE_IPS drops the owner\'s traffic by CIDR with reason excluded_ip', async (t) => {
  const h = await buildTestApp(t, { TRUST_PROXY: 'loopback', EXCLUDE_IPS: '203.0.113.0/24, 2001:db8::/32' });
  await send(h, { url: 'https://example.com/office' }, { 'x-forwarded-for': '203.0.113.9' });
  await send(h, { url: 'https://example.com/office6' }, { 'x-forwarded-for': '2001:db8::1' });
  await send(h, { url: 'https://example.com/visitor' }, { 'x-forwarded-for': '203.0.114.9' });
  await h.flush();
  t.same((await rows(h)).map((r) => r.url), ['https://example.com/visitor']);
  t.equal(await rejected(h, 'excluded_ip'), 2);
});

t.test('DNT and Sec-GPC are honoured only with RESPECT_DNT=true', async (t) => {
  const ignoring = await buildTestApp(t);
  await send(ignoring, { url: 'https://example.com/dnt' }, { dnt: '1' });
  await send(ignoring, { url: 'https://example.com/gpc' }, { 'sec-gpc': '1' });
  await ignoring.flush();
  t.equal((await rows(ignoring)).length, 2);

  const respecting = await buildTestApp(t, { RESPECT_DNT: 'true' });
  await send(respecting, { url: 'https://example.com/dnt' }, { dnt: '1' });
  await send(respecting, { url: 'https://example.com/gpc' }, { 'sec-gpc': '1' });
  await send(respecting, { url: 'https://example.com/dnt0' }, { dnt: '0' });
  await respecting.flush();
  t.same((await rows(respecting)).map((r) => r.url), ['https://example.com/dnt0']);
  t.equal(await rejected(respecting, 'dnt'), 2);
});

t.test('URLs: quotes encoded; an opaque android-app referrer is no referrer; junk X-Forwarded-For is no address', async (t) => {
  const h = await buildTestApp(t, { TRUST_PROXY: 'true', IP_STORAGE: 'full' });
  await send(h, { url: "https://example.com/it's", referrer: 'android-app:<img src=x onerror=alert(1)>' }, { 'x-forwarded-for': '"><img src=x onerror=alert(1)>' });
  await send(h, { url: 'https://example.com/ok', referrer: 'android-app://com.google.android.gm/' });
  await h.flush();
  const [a, b] = await rows(h);
  t.equal(a?.url, 'https://example.com/it%27s');
  t.equal(a?.referrer, null);
  t.equal(a?.client_ip, '127.0.0.1', 'the socket address instead');
  t.equal(b?.referrer, 'android-app://com.google.android.gm/');
  const fields = metricValue((await h.app.inject('/metrics')).body, 'beacon_fields_dropped_total{field="referrer"}');
  t.equal(fields, 1);
});
