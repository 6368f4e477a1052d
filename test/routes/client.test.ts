// The client-facing routes besides POST /collect: the tracking pixel, the debug endpoint, and configurable paths (the collector script: script.test.ts).
import { connect, type AddressInfo } from 'node:net';
import t from 'tap';
import type { RowDataPacket } from 'mysql2/promise';
import { PIXEL } from '../../src/routes/collect.js';
import { buildTestApp, CHROME_UA, metricValue, type TestApp } from '../helpers/app.js';

const GMAIL_PROXY_UA = 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)';
const rows = (h: TestApp) => h.db.query<RowDataPacket>('SELECT * FROM pageviews ORDER BY id');
const metric = async (h: TestApp, series: string) => metricValue((await h.app.inject('/metrics')).body, series);

function pixel(h: TestApp, query: string, headers: Record<string, string> = {}) {
  return h.app.inject({ method: 'GET', url: `/collect.gif${query}`, headers: { 'user-agent': CHROME_UA, ...headers } });
}

t.test('pixel: stores the beacon from the query and answers a 1x1 GIF that nobody caches', async (t) => {
  const h = await buildTestApp(t, { TRUST_PROXY: 'loopback' });
  const url = encodeURIComponent('https://example.com/newsletter?utm_source=mail&utm_campaign=nov');
  const res = await pixel(h, `?url=${url}&type=event&name=open&viewportW=600&payload=${encodeURIComponent('{"list":"weekly"}')}`, {
    'x-forwarded-for': '8.8.8.8',
  });
  t.equal(res.statusCode, 200);
  t.equal(res.headers['content-type'], 'image/gif');
  t.match(res.headers['cache-control'], /no-store/);
  t.same(res.rawPayload, PIXEL, 'the GIF');
  t.equal(res.rawPayload.subarray(0, 6).toString('latin1'), 'GIF89a');
  await h.flush();
  const [row, more] = await rows(h);
  t.equal(more, undefined, 'one row');
  t.equal(row?.url, 'https://example.com/newsletter?utm_source=mail&utm_campaign=nov');
  t.equal(row?.type, 'event');
  t.equal(row?.event_name, 'open');
  t.equal(row?.viewport_width, 600, 'numbers in the query are coerced');
  t.same(row?.payload, { list: 'weekly' });
  t.equal(row?.geo_country, 'US', 'enriched like any beacon');
  t.ok(row?.session_id, 'an event opens a session');
  const [session] = await h.db.query<RowDataPacket>('SELECT * FROM sessions');
  t.equal(session?.utm_campaign, 'nov');
});

t.test('pixel: no url parameter falls back to the Referer header; junk still gets the GIF and is counted', async (t) => {
  const h = await buildTestApp(t);
  const res = await pixel(h, '', { referer: 'https://example.com/noscript-page' });
  t.equal(res.statusCode, 200);
  const junk = await pixel(h, '?url=javascript:alert(1)&type=pageview');
  t.equal(junk.statusCode, 200);
  t.same(junk.rawPayload, PIXEL);
  const none = await pixel(h, '?type=pageview');
  t.equal(none.statusCode, 200, 'no url at all');
  await h.flush();
  t.same((await rows(h)).map((r) => r.url), ['https://example.com/noscript-page']);
  t.equal(await metric(h, 'beacon_rejected_total{reason="invalid_schema"}'), 2);
});

t.test('pixel: an email image proxy counts as an open with no country; other bots are dropped', async (t) => {
  const h = await buildTestApp(t, { TRUST_PROXY: 'loopback' });
  const open = await pixel(h, '?url=https://example.com/mail/42&type=event&name=email_open', { 'user-agent': GMAIL_PROXY_UA, 'x-forwarded-for': '8.8.8.8' });
  t.equal(open.statusCode, 200);
  await pixel(h, '?url=https://example.com/mail/42', { 'user-agent': 'Googlebot/2.1 (+http://www.google.com/bot.html)' });
  // The same proxy on POST is a bot like any other.
  await h.app.inject({
    method: 'POST',
    url: '/collect',
    payload: JSON.stringify({ url: 'https://example.com/post' }),
    headers: { 'content-type': 'text/plain', 'user-agent': GMAIL_PROXY_UA },
  });
  await h.flush();
  const stored = await rows(h);
  t.equal(stored.length, 1);
  t.equal(stored[0]?.event_name, 'email_open');
  t.equal(stored[0]?.is_bot, 0);
  t.equal(stored[0]?.geo_country, null, "the proxy's address is not the reader's");
  t.equal(stored[0]?.session_id, null, 'no session: every reader behind the proxy would share it');
  t.equal(await metric(h, 'beacon_rejected_total{reason="bot"}'), 2);
});

t.test('pixel: the url host must be an allowed origin; REQUIRE_ORIGIN drops pixels (an <img> sends no Origin)', async (t) => {
  const h = await buildTestApp(t, { ALLOWED_ORIGINS: 'https://example.com' });
  await pixel(h, '?url=https://example.com/ok');
  await pixel(h, '?url=https://evil.test/forged');
  await h.flush();
  t.same((await rows(h)).map((r) => r.url), ['https://example.com/ok']);
  t.equal(await metric(h, 'beacon_rejected_total{reason="origin"}'), 1);

  const strict = await buildTestApp(t, { REQUIRE_ORIGIN: 'true' });
  const res = await pixel(strict, '?url=https://example.com/ok');
  t.equal(res.statusCode, 200, 'still the GIF');
  await strict.flush();
  t.equal((await rows(strict)).length, 0);
});

t.test('pixel: HEAD (link checkers, mail scanners) stores nothing', async (t) => {
  const h = await buildTestApp(t);
  const res = await h.app.inject({ method: 'HEAD', url: '/collect.gif?url=https://example.com/checked', headers: { 'user-agent': CHROME_UA } });
  t.equal(res.statusCode, 404);
  await h.flush();
  t.equal((await rows(h)).length, 0);
});

t.test('pixel: a request Node cannot parse still gets the GIF over the socket', async (t) => {
  const h = await buildTestApp(t);
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = h.app.server.address() as AddressInfo;
  const socket = connect(port, '127.0.0.1');
  socket.write('GET /collect.gif?url=https%3A%2F%2Fexample.com%2F HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n');
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  const answer = Buffer.concat(chunks);
  t.match(answer.toString('latin1'), /^HTTP\/1\.1 200 OK\r\nContent-Type: image\/gif/);
  t.same(answer.subarray(answer.length - PIXEL.length), PIXEL);
  t.equal(await metric(h, 'beacon_rejected_total{reason="invalid_json"}'), 1);
});

t.test('debug endpoint: off by default (404, nothing stored)', async (t) => {
  const h = await buildTestApp(t);
  const res = await h.app.inject({ method: 'POST', url: '/collect/debug', payload: '{"url":"https://example.com/"}', headers: { 'content-type': 'text/plain', 'user-agent': CHROME_UA } });
  t.equal(res.statusCode, 404);
  await h.flush();
  t.equal((await rows(h)).length, 0);
});

t.test('debug endpoint: per-beacon verdicts after enrichment, IP as stored; nothing stored or counted', async (t) => {
  const h = await buildTestApp(t, { DEBUG_ENDPOINT: 'true', TRUST_PROXY: 'loopback', ALLOWED_ORIGINS: 'https://example.com' });
  const batch = [
    { url: 'https://example.com/a?token=s3cret&x=1', type: 'event', name: '<b>signup</b>', payload: { plan: '<i>pro</i>' } },
    { url: 'ftp://example.com/' },
    { url: 'https://evil.test/' },
    { url: 'https://example.com/b', viewportW: 0, payload: 'not an object' },
  ];
  const res = await h.app.inject({
    method: 'POST',
    url: '/collect/debug',
    payload: JSON.stringify(batch),
    headers: { 'content-type': 'text/plain', 'user-agent': CHROME_UA, origin: 'https://example.com', 'x-forwarded-for': '8.8.4.4' },
  });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /application\/json/);
  const report = res.json();
  t.match(report, { received: 4, accepted: 2, rejected: 2 });
  const [a, b, c, d] = report.beacons;
  t.match(a, {
    index: 0,
    accepted: true,
    row: {
      url: 'https://example.com/a?x=1',
      type: 'event',
      event_name: 'signup',
      payload: { plan: 'pro' },
      client_ip: '8.8.4.0',
      geo_country: 'US',
      browser: 'Chrome',
      device: 'desktop',
      is_bot: false,
    },
  });
  t.match(a.row.user_hash, /^[0-9a-f]{16}$/);
  t.match(b, { index: 1, accepted: false, reason: 'invalid_schema' });
  t.match(c, { index: 2, accepted: false, reason: 'origin' });
  t.match(d, { index: 3, accepted: true, fieldsStoredNull: ['viewportW', 'payload'], row: { viewport_width: null, payload: null } });

  const bot = await h.app.inject({
    method: 'POST',
    url: '/collect/debug',
    payload: '[{"url":"https://example.com/"},{"url":"https://example.com/2"}]',
    headers: { 'content-type': 'text/plain', 'user-agent': 'curl/8.5.0', origin: 'https://example.com' },
  });
  t.match(bot.json(), { accepted: 0, beacons: [{ reason: 'bot' }, { reason: 'bot' }] }, 'a request-wide rejection applies to every item');
  const broken = await h.app.inject({ method: 'POST', url: '/collect/debug', payload: '{"url":', headers: { 'content-type': 'text/plain' } });
  t.match(broken.json(), { received: 1, accepted: 0, beacons: [{ reason: 'invalid_json' }] });

  t.equal(res.headers['access-control-allow-origin'], undefined, 'no CORS: another site cannot read it');
  const huge = await h.app.inject({ method: 'POST', url: '/collect/debug', payload: JSON.stringify(new Array(20_000).fill(0)), headers: { 'content-type': 'text/plain' } });
  t.match(huge.json(), { received: 20_000, accepted: 0, rejected: 20_000 });
  t.ok(huge.json().beacons.length <= 50, 'a refused batch is not amplified into one verdict per item');
  const tooLarge = await h.app.inject({ method: 'POST', url: '/collect/debug', payload: 'x'.repeat(70_000), headers: { 'content-type': 'text/plain' } });
  t.equal(tooLarge.statusCode, 413, 'told plainly, not 204');
  t.match(tooLarge.json(), { reason: 'too_large' });

  await h.flush();
  t.equal((await rows(h)).length, 0, 'nothing stored');
  t.equal((await h.db.query<RowDataPacket>('SELECT * FROM sessions')).length, 0, 'no session opened');
  t.equal(await metric(h, 'beacon_received_total'), 0, 'a dry run is not traffic');
  t.equal(await metric(h, 'beacon_rejected_total{reason="too_large"}'), 0);
});

t.test('COLLECT_PATH and SCRIPT_PATH move every client route; the defaults stop answering', async (t) => {
  const h = await buildTestApp(t, { COLLECT_PATH: '/api/e', SCRIPT_PATH: '/js/site.js', DEBUG_ENDPOINT: 'true' });
  const post = await h.app.inject({ method: 'POST', url: '/api/e', payload: '{"url":"https://example.com/first-party"}', headers: { 'content-type': 'text/plain', 'user-agent': CHROME_UA } });
  t.equal(post.statusCode, 204);
  const px = await h.app.inject({ method: 'GET', url: '/api/e.gif?url=https://example.com/px', headers: { 'user-agent': CHROME_UA } });
  t.equal(px.headers['content-type'], 'image/gif');
  const dbg = await h.app.inject({ method: 'POST', url: '/api/e/debug', payload: '{"url":"https://example.com/"}', headers: { 'content-type': 'text/plain', 'user-agent': CHROME_UA } });
  t.equal(dbg.statusCode, 200);
  const preflight = await h.app.inject({ method: 'OPTIONS', url: '/api/e', headers: { origin: 'https://example.com', 'access-control-request-method': 'POST' } });
  t.equal(preflight.statusCode, 204);
  t.equal((await h.app.inject({ method: 'POST', url: '/collect', payload: '{}' })).statusCode, 404);
  t.equal((await h.app.inject('/collector.js')).statusCode, 404);
  const script = await h.app.inject({ method: 'GET', url: '/js/site.js', headers: { 'accept-encoding': 'identity' } });
  t.equal(script.statusCode, 200);
  t.ok(script.body.includes('"/api/e"'), 'the script sends to the configured path');
  t.notOk(script.body.includes('__BEACON_COLLECT_PATH__'));
  await h.flush();
  t.same((await rows(h)).map((r) => r.url), ['https://example.com/first-party', 'https://example.com/px']);
});

t.test('over a real socket: pixel and debug endpoint', async (t) => {
  const h = await buildTestApp(t, { DEBUG_ENDPOINT: 'true' });
  const address = await h.app.listen({ port: 0, host: '127.0.0.1' });
  const px = await fetch(`${address}/collect.gif?url=${encodeURIComponent('https://example.com/socket')}`, { headers: { 'user-agent': CHROME_UA } });
  t.equal(px.status, 200);
  t.same(Buffer.from(await px.arrayBuffer()), PIXEL);
  const dbg = await fetch(`${address}/collect/debug`, {
    method: 'POST',
    body: JSON.stringify({ url: 'https://example.com/x' }),
    headers: { 'content-type': 'text/plain', 'user-agent': CHROME_UA },
  });
  t.equal(dbg.status, 200);
  t.match(await dbg.json(), { accepted: 1, beacons: [{ accepted: true, row: { client_ip: '127.0.0.0' } }] });
  await h.flush();
  t.same((await rows(h)).map((r) => r.url), ['https://example.com/socket']);
});

t.test('over a real socket: the debug answer is bounded (at most twice the request or 16 KiB)', async (t) => {
  const h = await buildTestApp(t, { DEBUG_ENDPOINT: 'true', ALLOWED_ORIGINS: 'https://example.com' });
  const address = await h.app.listen({ port: 0, host: '127.0.0.1' });
  const debug = async (body: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${address}/collect/debug`, { method: 'POST', body, headers: { 'content-type': 'text/plain', 'user-agent': CHROME_UA, ...headers } });
    const text = await res.text();
    return { bound: Math.max(2 * body.length, 16 * 1024), bytes: text.length, report: JSON.parse(text) };
  };
  // Small beacons each answered by a whole row: the answer was ~29x the request.
  const small = await debug(JSON.stringify(Array.from({ length: 50 }, (_, i) => ({ url: `https://example.com/${i}` }))));
  t.match(small.report, { received: 50, accepted: 50 });
  t.ok(small.report.beacons.every((b: { accepted: boolean }) => b.accepted), 'every beacon still has its verdict');
  t.ok(small.report.beacons[0].row, 'the first rows are shown');
  t.match(small.report, { rowsOmitted: 45 });
  t.ok(small.bytes <= small.bound, `answer ${small.bytes} bytes, at most ${small.bound}`);
  // A request-wide rejection repeats its detail (here an origin of 2,000 characters) for every item.
  const origin = `https://${'o'.repeat(2000)}.example`;
  const refused = await debug(JSON.stringify(new Array(50).fill({})), { origin });
  t.match(refused.report, { received: 50, accepted: 0, beacons: [{ reason: 'origin' }] });
  t.ok(refused.bytes <= refused.bound, `answer ${refused.bytes} bytes for a 151-byte body, at most ${refused.bound}`);
});
