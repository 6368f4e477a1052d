// Plausible's Events API and @umami/node over a real socket into MariaDB: the Events API's own curl
// example run with curl, and Umami's server-side client as published on npm.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import t from 'tap';
import type { RowDataPacket } from 'mysql2/promise';
import { Umami } from '@umami/node';
import { buildTestApp, CHROME_UA, metricValue, type TestApp } from '../helpers/app.js';
import { listen, rawRequest } from '../helpers/listen.js';

const run = promisify(execFile);
// The User-Agent of the Events API documentation's example.
const DOCS_UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_6) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/85.0.4183.121 Safari/537.36 OPR/71.0.3770.284';

async function stored(h: TestApp) {
  await h.flush();
  return {
    rows: await h.db.query<RowDataPacket>('SELECT * FROM pageviews ORDER BY id'),
    sessions: await h.db.query<RowDataPacket>('SELECT * FROM sessions ORDER BY started_at'),
  };
}

/** The documentation's request, as its curl command sends it; `xff` the X-Forwarded-For value. */
async function docsCurl(base: string, xff: string, data = '{"name":"pageview","url":"http://dummy.site","domain":"dummy.site"}') {
  const { stdout } = await run('curl', ['-s', '-i', '-X', 'POST', `${base}/api/event`, '-H', `User-Agent: ${DOCS_UA}`, '-H', `X-Forwarded-For: ${xff}`, '-H', 'Content-Type: application/json', '--data', data]);
  return stdout;
}

t.test("Plausible's Events API example, sent by curl through a trusted proxy hop", async (t) => {
  const h = await buildTestApp(t, { ALLOWED_ORIGINS: 'http://dummy.site', TRUST_PROXY: 'loopback' });
  const base = await listen(h);
  const answer = await docsCurl(base, '127.0.0.1');
  t.match(answer, /^HTTP\/1\.1 202 Accepted\r\n/, '202 Accepted');
  t.match(answer, /\r\n\r\nok$/, 'body ok');
  await docsCurl(base, '8.8.8.8', JSON.stringify({ name: 'pageview', url: 'http://dummy.site/docs?utm_source=app&utm_campaign=launch', domain: 'dummy.site', referrer: 'https://news.example/item' }));
  await docsCurl(base, '8.8.8.8', JSON.stringify({ name: 'Download', url: 'http://dummy.site/docs', domain: 'dummy.site', props: { file: 'a.pdf' } }));
  const { rows, sessions } = await stored(h);
  t.match(rows, [
    { type: 'pageview', url: 'http://dummy.site/', hostname: 'dummy.site', referrer: null, user_agent: DOCS_UA, browser: 'Opera', client_ip: '127.0.0.0', geo_country: null },
    { type: 'pageview', url: 'http://dummy.site/docs?utm_source=app&utm_campaign=launch', referrer: 'https://news.example/item', client_ip: '8.8.8.0', geo_country: 'US' },
    { type: 'event', event_name: 'Download', payload: { file: 'a.pdf' }, client_ip: '8.8.8.0', geo_country: 'US' },
  ]);
  t.equal(rows.length, 3);
  t.not(rows[0]?.user_hash, rows[1]?.user_hash, 'the forwarded address makes another visitor');
  t.equal(rows[1]?.session_id, rows[2]?.session_id, 'the event joins the pageview\'s session');
  t.match(sessions.find((s) => s.session_id === rows[1]?.session_id), { entry_url: 'http://dummy.site/docs?utm_source=app&utm_campaign=launch', entry_referrer: 'https://news.example/item', utm_source: 'app', utm_campaign: 'launch', pageviews: 1, events: 1 });
});

t.test('X-Forwarded-For from an untrusted peer is not believed', async (t) => {
  const h = await buildTestApp(t, { ALLOWED_ORIGINS: 'http://dummy.site', TRUST_PROXY: 'false' });
  const answer = await docsCurl(await listen(h), '8.8.8.8');
  t.match(answer, /^HTTP\/1\.1 202/);
  const { rows } = await stored(h);
  t.match(rows, [{ url: 'http://dummy.site/', client_ip: '127.0.0.0', geo_country: null }], 'the socket\'s address, not the header\'s');
});

t.test('@umami/node: a pageview and an event land, in one session with its attribution', async (t) => {
  const h = await buildTestApp(t, { ALLOWED_ORIGINS: 'https://example.com' });
  const umami = new Umami({ websiteId: '50429a93-8479-4073-be80-d5d29c09c2ec', hostUrl: await listen(h), userAgent: CHROME_UA });
  const view = await umami.track({ hostname: 'example.com', url: '/landing?utm_source=podcast&utm_medium=audio', referrer: 'https://ref.example/show', title: 'Landing', language: 'en-US', screen: '1440x900' });
  t.equal(view.status, 200);
  t.same(await view.json(), { cache: '' });
  const event = await umami.track({ hostname: 'example.com', url: '/landing', name: 'signup', data: { plan: 'pro', seats: 3 } });
  t.equal(event.status, 200);
  const identify = await umami.identify({ email: 'someone@example.com' });
  t.equal(identify.status, 200, 'identify is answered, and not stored');
  const { rows, sessions } = await stored(h);
  t.match(rows, [
    { type: 'pageview', url: 'https://example.com/landing?utm_source=podcast&utm_medium=audio', hostname: 'example.com', referrer: 'https://ref.example/show', user_agent: CHROME_UA, payload: { $title: 'Landing', $language: 'en-US', $screen: '1440x900' } },
    { type: 'event', event_name: 'signup', url: 'https://example.com/landing', payload: { plan: 'pro', seats: 3 } },
  ]);
  t.equal(rows.length, 2);
  t.equal(rows[0]?.session_id, rows[1]?.session_id);
  t.match(sessions, [{ entry_url: 'https://example.com/landing?utm_source=podcast&utm_medium=audio', entry_referrer: 'https://ref.example/show', utm_source: 'podcast', utm_medium: 'audio', pageviews: 1, events: 1 }]);
  t.notMatch(JSON.stringify(rows), /someone@example\.com/, 'no identify data anywhere');
});

t.test('oversized headers and malformed requests get each protocol\'s answer, counted, over a real socket', async (t) => {
  const h = await buildTestApp(t);
  const base = await listen(h);
  const raw = (request: string) => rawRequest(base, request);
  const huge = 'x'.repeat(20_000);
  t.match(await raw(`POST /api/event HTTP/1.1\r\nHost: a\r\nX-Big: ${huge}\r\nContent-Length: 2\r\n\r\n{}`), /^HTTP\/1\.1 202 Accepted\r\n[^]*\r\n\r\nok$/, 'Plausible: 202 ok for a header overflow');
  t.match(await raw('POST /api/event?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: nope\r\n\r\n'), /^HTTP\/1\.1 202 /, 'and for a malformed request');
  t.match(await raw(`POST /api/send HTTP/1.1\r\nHost: a\r\nX-Big: ${huge}\r\nContent-Length: 2\r\n\r\n{}`), /^HTTP\/1\.1 400 [^]*\{"error":"bad request"\}$/, 'Umami: its 400');
  // Only a POST to the trackers' own paths: their debug twins, other methods and other routes keep
  // Node's answers, and are no beacon.
  t.match(await raw(`POST /api/event/debug HTTP/1.1\r\nHost: a\r\nX-Big: ${huge}\r\nContent-Length: 2\r\n\r\n{}`), /^HTTP\/1\.1 431 /, 'a debug twin: 431');
  t.match(await raw(`GET /api/send HTTP/1.1\r\nHost: a\r\nX-Big: ${huge}\r\n\r\n`), /^HTTP\/1\.1 431 /, 'a GET: 431');
  t.match(await raw(`POST /api/sendx HTTP/1.1\r\nHost: a\r\nX-Big: ${huge}\r\nContent-Length: 2\r\n\r\n{}`), /^HTTP\/1\.1 431 /, 'a path that starts like one: 431');
  t.match(await raw('GET /health HTTP/1.1\r\nHost: a\r\nContent-Length: nope\r\n\r\n'), /^HTTP\/1\.1 400 /, 'an ops route: 400');
  t.match(await raw(`POST /collect HTTP/1.1\r\nHost: a\r\nX-Big: ${huge}\r\nContent-Length: 2\r\n\r\n{}`), /^HTTP\/1\.1 204 /, 'COLLECT_PATH: still 204');
  const metrics = await (await fetch(`${base}/metrics`)).text();
  t.equal(metricValue(metrics, 'beacon_rejected_total{reason="too_large"}'), 3, 'the trackers\' two and COLLECT_PATH\'s');
  t.equal(metricValue(metrics, 'beacon_rejected_total{reason="invalid_json"}'), 1);
  t.equal(metricValue(metrics, 'beacon_received_total'), 4, 'nothing else counted');
});
