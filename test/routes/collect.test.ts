import t from 'tap';
import type { RowDataPacket } from 'mysql2/promise';
import { buildTestApp, CHROME_UA, FIREFOX_UA, metricValue } from '../helpers/app.js';
import { post, rows, type Row } from '../helpers/collect.js';

t.test('every body type stores the right row', async (t) => {
  const h = await buildTestApp(t);
  const now = Date.now();
  const json = await post(h, JSON.stringify({ url: 'https://example.com/json', referrer: 'https://google.com/', timestamp: now, viewportW: 1280, viewportH: 720, payload: { a: 1 } }));
  t.equal(json.statusCode, 204);
  t.equal(json.body, '');
  const text = await post(h, JSON.stringify({ url: 'https://example.com/text', event_type: 'event', event_name: 'signup' }), {
    'content-type': 'text/plain;charset=UTF-8',
  });
  t.equal(text.statusCode, 204);
  const form = await post(
    h,
    new URLSearchParams({ url: 'https://example.com/form', viewport_w: '390', viewport_h: '844', timestamp: String(now), payload: '{"b":[1,2]}' }).toString(),
    { 'content-type': 'application/x-www-form-urlencoded' },
  );
  t.equal(form.statusCode, 204);
  const fd = new FormData();
  fd.set('url', 'https://example.com/multipart');
  fd.set('type', 'click');
  fd.set('name', 'cta');
  fd.set('viewportW', '1024');
  fd.set('payload', JSON.stringify({ button: 'buy' }));
  const encoded = new Response(fd);
  const multipart = await post(h, Buffer.from(await encoded.arrayBuffer()), {
    'content-type': encoded.headers.get('content-type') as string,
  });
  t.equal(multipart.statusCode, 204);
  await h.flush();

  const stored = await rows(h);
  t.equal(stored.length, 4);
  const [a, b, c, d] = stored as [Row, Row, Row, Row];
  t.match(a, { url: 'https://example.com/json', hostname: 'example.com', type: 'pageview', referrer: 'https://google.com/', viewport_width: 1280, viewport_height: 720, user_agent: CHROME_UA, event_name: null, geo_country: null });
  t.match(a.session_id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a server-assigned UUID v4 session');
  t.same(a.payload, { a: 1 });
  t.equal(a.client_timestamp?.getTime(), now, 'client_timestamp stored from epoch ms');
  t.match(b, { url: 'https://example.com/text', type: 'event', event_name: 'signup' });
  t.match(c, { url: 'https://example.com/form', viewport_width: 390, viewport_height: 844 });
  t.equal(c.client_timestamp?.getTime(), now, 'form timestamp coerced');
  t.same(c.payload, { b: [1, 2] });
  t.match(d, { url: 'https://example.com/multipart', type: 'click', event_name: 'cta', viewport_width: 1024 });
  t.same(d.payload, { button: 'buy' });
  for (const r of stored) {
    t.equal(r.beacon_id.length, 16, 'beacon_id is 16 bytes');
    t.equal((r.beacon_id[6] as number) >> 4, 7, 'beacon_id is a UUIDv7');
    t.match(r.user_hash, /^[0-9a-f]{16}$/);
    t.equal(r.client_ip, '127.0.0.0', 'IP stored truncated by default');
  }
});

t.test('an array batch keeps only its valid items', async (t) => {
  const h = await buildTestApp(t, { LOG_LEVEL: 'debug' });
  const res = await post(
    h,
    JSON.stringify([
      { url: 'https://example.com/1' },
      { url: 'javascript:alert(1)' },
      { url: 'https://example.com/2', type: 'bogus' },
      42,
      { type: 'pageview' },
      { url: 'https://example.com/3', type: 'error', viewportW: 0 },
    ]),
  );
  t.equal(res.statusCode, 204);
  await h.flush();
  const stored = await rows(h);
  t.same(stored.map((r) => [r.url, r.type, r.viewport_width]), [
    ['https://example.com/1', 'pageview', null],
    ['https://example.com/3', 'error', null],
  ]);
  const metrics = (await h.app.inject('/metrics')).body;
  t.equal(metricValue(metrics, 'beacon_received_total'), 6);
  t.equal(metricValue(metrics, 'beacon_accepted_total'), 2);
  t.equal(metricValue(metrics, 'beacon_rejected_total{reason="invalid_schema"}'), 4);
  t.equal(metricValue(metrics, 'beacon_fields_dropped_total{field="viewportW"}'), 1);
  const rejections = h.logs.filter((l) => l.msg === 'beacon rejected');
  t.equal(rejections.length, 4, 'one debug line per rejected beacon');
  t.ok(rejections.every((l) => l.reason === 'invalid_schema'));
});

t.test('a batch over 50 items is dropped whole; 50 are kept', async (t) => {
  const h = await buildTestApp(t);
  const batch = (n: number) => JSON.stringify(Array.from({ length: n }, (_, i) => ({ url: `https://example.com/${i}` })));
  t.equal((await post(h, batch(51))).statusCode, 204);
  t.equal((await post(h, batch(50))).statusCode, 204);
  await h.flush();
  t.equal((await rows(h)).length, 50);
  const metrics = (await h.app.inject('/metrics')).body;
  t.equal(metricValue(metrics, 'beacon_rejected_total{reason="invalid_schema"}'), 51, 'counted per beacon');
});

t.test('each rule of the field table drops or nulls as it says', async (t) => {
  const h = await buildTestApp(t);
  const now = Date.now();
  const cases: [string, Record<string, unknown>, Record<string, unknown> | null][] = [
    ['url missing', { type: 'pageview' }, null],
    ['url not a string', { url: 12 }, null],
    ['url ftp', { url: 'ftp://example.com/x' }, null],
    ['url over 2048', { url: 'https://example.com/' + 'a'.repeat(2040) }, null],
    ['url unparseable', { url: 'https://' }, null],
    ['type unknown', { url: 'https://example.com/t', type: 'purchase' }, null],
    ['type via alias', { url: 'https://example.com/alias', event_type: 'performance' }, { type: 'performance' }],
    ['type defaults to pageview', { url: 'https://example.com/default' }, { type: 'pageview' }],
    ['name over 64', { url: 'https://example.com/n', type: 'event', name: 'x'.repeat(65) }, { event_name: null }],
    ['name at 64', { url: 'https://example.com/n64', type: 'event', name: 'x'.repeat(64) }, { event_name: 'x'.repeat(64) }],
    ['referrer not a URL', { url: 'https://example.com/r1', referrer: 'not a url' }, { referrer: null }],
    ['referrer javascript:', { url: 'https://example.com/r2', referrer: 'javascript:alert(1)' }, { referrer: null }],
    ['referrer android-app', { url: 'https://example.com/r3', referrer: 'android-app://com.google.android.gm/' }, { referrer: 'android-app://com.google.android.gm/' }],
    ['referrer empty', { url: 'https://example.com/r4', referrer: '' }, { referrer: null }],
    ['timestamp 8 days old', { url: 'https://example.com/ts1', timestamp: now - 8 * 86_400_000 }, { client_timestamp: null }],
    ['timestamp 2 hours ahead', { url: 'https://example.com/ts2', timestamp: now + 2 * 3_600_000 }, { client_timestamp: null }],
    ['timestamp a string', { url: 'https://example.com/ts3', timestamp: 'yesterday' }, { client_timestamp: null }],
    ['viewport 10001', { url: 'https://example.com/v1', viewportW: 10_001, viewportH: 500 }, { viewport_width: null, viewport_height: 500 }],
    ['viewport fractional', { url: 'https://example.com/v2', viewport_w: 10.5, viewport_h: 10000 }, { viewport_width: null, viewport_height: 10000 }],
    ['payload an array', { url: 'https://example.com/p1', payload: [1, 2] }, { payload: null }],
    ['payload too deep', { url: 'https://example.com/p2', payload: { a: { b: { c: { d: { e: 1 } } } } } }, { payload: null }],
    ['payload 4 deep', { url: 'https://example.com/p3', payload: { a: { b: { c: { d: 1 } } } } }, { payload: { a: { b: { c: { d: 1 } } } } }],
    ['payload over 8 KiB', { url: 'https://example.com/p4', payload: { s: 'x'.repeat(8200) } }, { payload: null }],
    ['unknown fields and client ids ignored', { url: 'https://example.com/u', userAgent: 'evil', sessionId: 'abc', session_id: 'abc', extra: 1 }, { user_agent: CHROME_UA }],
  ];
  for (const [, item] of cases) t.equal((await post(h, JSON.stringify(item))).statusCode, 204);
  await h.flush();
  const stored = await rows(h);
  const byUrl = new Map(stored.map((r) => [r.url, r]));
  for (const [label, item, expected] of cases) {
    const url = typeof item.url === 'string' && URL.canParse(item.url) ? new URL(item.url).href : undefined;
    const row = url === undefined ? undefined : byUrl.get(url);
    if (expected === null) {
      t.equal(row, undefined, `${label}: dropped`);
    } else {
      t.ok(row, `${label}: stored`);
      for (const [col, value] of Object.entries(expected)) {
        const actual = row?.[col];
        t.same(actual, value, `${label}: ${col}`);
      }
    }
  }
  t.equal(stored.length, cases.filter((c) => c[2] !== null).length);
  t.notOk(stored.some((r) => r.session_id === 'abc'), 'a client-sent session id is never stored');
});

t.test('sanitising: markup and control characters out, URLs as WHATWG serialises them, strings cut', async (t) => {
  const h = await buildTestApp(t);
  await post(
    h,
    JSON.stringify({
      url: 'https://Example.COM/a b?q="<script>"#x',
      referrer: 'https://ref.example/<img src=x>',
      type: 'event',
      name: 'sign<b>up</b>\u0000\u0085',
      payload: { msg: '<script>alert(1)</script>a < b', '<i>key</i>': 'v\u0007', nested: ['<<b>script>x'] },
    }),
    { 'user-agent': `${FIREFOX_UA} <img src=x onerror=alert(1)>\u0001` },
  );
  await post(h, JSON.stringify({ url: 'https://example.com/long', type: 'event', name: 'ok' }), { 'user-agent': 'Mozilla/5.0 ' + 'é'.repeat(600) });
  await h.flush();
  const [a, b] = (await rows(h)) as [Row, Row];
  t.equal(a.url, 'https://example.com/a%20b?q=%22%3Cscript%3E%22#x');
  t.equal(a.hostname, 'example.com');
  t.equal(a.referrer, 'https://ref.example/%3Cimg%20src=x%3E');
  t.equal(a.event_name, 'signup');
  t.equal(a.user_agent, `${FIREFOX_UA} `);
  t.same(a.payload, { msg: 'alert(1)a < b', key: 'v', nested: ['x'] });
  t.equal(b.user_agent, 'Mozilla/5.0 ' + 'é'.repeat(500), 'cut to the column (512 characters)');
});

t.test('client_timestamp round-trips in UTC, server_timestamp comes from the server clock', async (t) => {
  const fixed = Date.UTC(2026, 0, 15, 23, 59, 58, 123);
  const h = await buildTestApp(t, {}, (c) => {
    c.clock = () => fixed;
  });
  await post(h, JSON.stringify({ url: 'https://example.com/', timestamp: fixed - 1500 }));
  await h.flush();
  const [row] = await h.db.query<RowDataPacket>('SELECT client_timestamp, server_timestamp FROM pageviews');
  t.equal((row?.client_timestamp as Date).toISOString(), '2026-01-15T23:59:56.623Z');
  t.equal((row?.server_timestamp as Date).toISOString(), '2026-01-15T23:59:58.123Z');
});

t.test('user_hash: stable within a day, different with another secret, day or user agent', async (t) => {
  const base = Date.UTC(2026, 5, 1, 10, 0, 0);
  let now = base;
  const h = await buildTestApp(t, {}, (c) => {
    c.clock = () => now;
  });
  const send = (ua = CHROME_UA) => post(h, JSON.stringify({ url: 'https://example.com/' }), { 'user-agent': ua });
  await send();
  now = base + 3_600_000;
  await send();
  await send(FIREFOX_UA);
  now = base + 86_400_000;
  await send();
  await h.flush();
  const hashes = (await rows(h)).map((r) => r.user_hash);
  t.equal(hashes[0], hashes[1], 'same visitor, same day');
  t.not(hashes[2], hashes[0], 'other user agent');
  t.not(hashes[3], hashes[0], 'next day: new salt');

  const other = await buildTestApp(t, { HASH_SECRET: 'another-secret-0123456789' }, (c) => {
    c.clock = () => base;
  }, h.db);
  await other.app.inject({ method: 'POST', url: '/collect', payload: JSON.stringify({ url: 'https://example.com/' }), headers: { 'content-type': 'text/plain', 'user-agent': CHROME_UA } });
  await other.flush();
  const all = await rows(h);
  t.not(all[4]?.user_hash, hashes[0], 'same salt and input, other secret');
  const salts = await h.db.query<RowDataPacket>('SELECT COUNT(*) AS n FROM salts');
  t.ok((salts[0]?.n as number) >= 2, 'salts live in the database');
});
