// Plausible's and Umami's endpoints through inject(): answers, stored rows, counters, CORS, debug.
import t from 'tap';
import type { RowDataPacket } from 'mysql2/promise';
import { buildTestApp, CHROME_UA, metricValue, type TestApp } from '../helpers/app.js';

const SITE = 'https://www.example.com';
const rows = async (h: TestApp) => {
  await h.flush();
  return h.db.query<RowDataPacket>('SELECT * FROM pageviews ORDER BY id');
};
const rejected = async (h: TestApp, reason: string) => metricValue((await h.app.inject('/metrics')).body, `beacon_rejected_total{reason="${reason}"}`);
const plausible = (h: TestApp, body: unknown, headers: Record<string, string> = {}) =>
  h.app.inject({ method: 'POST', url: '/api/event', payload: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'text/plain', 'user-agent': CHROME_UA, origin: SITE, ...headers } });
const umami = (h: TestApp, body: unknown, headers: Record<string, string> = {}) =>
  h.app.inject({ method: 'POST', url: '/api/send', payload: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', 'user-agent': CHROME_UA, origin: SITE, ...headers } });

t.test('Plausible: 202 "ok" whatever happened; pageview, event and engagement stored', async (t) => {
  const h = await buildTestApp(t, { ALLOWED_ORIGINS: SITE });
  const page = `${SITE}/pricing?utm_source=newsletter&utm_medium=email`;
  const sent = [
    { n: 'pageview', u: page, d: 'example.com', r: 'https://news.example/', v: 36 },
    { n: 'Signup', u: page, d: 'example.com', r: null, p: { plan: 'pro' }, $: { amount: '9.99', currency: 'USD' } },
    { n: 'engagement', u: page, d: 'example.com', sd: 55, e: 4200, v: 36 },
  ];
  for (const body of sent) {
    const res = await plausible(h, body);
    t.equal(res.statusCode, 202);
    t.equal(res.body, 'ok');
    t.equal(res.headers['access-control-allow-origin'], SITE, 'CORS: the tracker reads the status');
  }
  const stored = await rows(h);
  t.match(stored, [
    { type: 'pageview', url: page, hostname: 'www.example.com', referrer: 'https://news.example/', user_agent: CHROME_UA, browser: 'Chrome' },
    { type: 'event', event_name: 'Signup', url: page, payload: { plan: 'pro', $revenue: { amount: '9.99', currency: 'USD' } } },
    { type: 'performance', url: page, payload: { engagementMs: 4200, scrollDepth: 55 } },
  ]);
  t.equal(stored.length, 3);
  t.ok(stored.every((r) => r.session_id === stored[0]?.session_id && r.session_id !== null), 'one session');
  const [session] = await h.db.query<RowDataPacket>('SELECT * FROM sessions');
  t.match(session, { entry_url: page, entry_referrer: 'https://news.example/', utm_source: 'newsletter', utm_medium: 'email', pageviews: 1, events: 1 });

  for (const bad of ['{"n":', '[]', { u: page }, { n: 'pageview', u: 'javascript:alert(1)', d: 'example.com' }]) {
    const res = await plausible(h, bad);
    t.equal(res.statusCode, 202, `202 for ${JSON.stringify(bad)}`);
  }
  const big = await plausible(h, { n: 'pageview', u: page, p: { k: 'x'.repeat(70_000) } });
  t.equal(big.statusCode, 202, 'a body over 64 KiB: 202 too');
  t.equal(await rejected(h, 'invalid_json'), 1);
  t.equal(await rejected(h, 'invalid_schema'), 3, 'an array, no name, a javascript: url');
  t.equal(await rejected(h, 'too_large'), 1);
  t.equal((await rows(h)).length, 3, 'nothing more stored');
});

t.test('Plausible: the domain must be an allowed host (compared without www.), like the url host', async (t) => {
  const h = await buildTestApp(t, { ALLOWED_ORIGINS: SITE });
  const u = `${SITE}/`;
  t.equal((await plausible(h, { n: 'pageview', u, d: 'evil.example' })).statusCode, 202);
  t.equal((await plausible(h, { n: 'pageview', u, d: 'example.com,evil.example' })).statusCode, 202);
  t.equal((await plausible(h, { n: 'pageview', u: 'https://evil.example/', d: 'example.com' })).statusCode, 202);
  t.equal((await plausible(h, { n: 'pageview', u, d: 'example.com' }, { origin: 'https://evil.example' })).statusCode, 202);
  t.equal(await rejected(h, 'origin'), 4, 'another domain, one of two, another url host, another Origin');
  t.equal((await plausible(h, { n: 'pageview', u, d: 'www.example.com' })).statusCode, 202);
  t.equal((await plausible(h, { n: 'pageview', u })).statusCode, 202, 'no domain: the url host decides');
  t.equal((await rows(h)).length, 2);
});

t.test('Plausible: bots, DNT, rate limit and EXCLUDE_IPS as for /collect', async (t) => {
  const h = await buildTestApp(t, { RESPECT_DNT: 'true', RATE_LIMIT_PER_MIN: '3', EXCLUDE_IPS: '10.9.0.0/16' });
  const body = { n: 'pageview', u: 'https://example.com/', d: 'example.com' };
  await plausible(h, body, { 'user-agent': 'curl/8.5.0' });
  await plausible(h, body, { dnt: '1' });
  await h.app.inject({ method: 'POST', url: '/api/event', payload: JSON.stringify(body), remoteAddress: '10.9.1.1', headers: { 'user-agent': CHROME_UA } });
  for (let i = 0; i < 3; i++) await plausible(h, body);
  t.equal(await rejected(h, 'bot'), 1);
  t.equal(await rejected(h, 'dnt'), 1);
  t.equal(await rejected(h, 'excluded_ip'), 1);
  t.equal(await rejected(h, 'rate_limited'), 2, 'the bot and the DNT request took budget before they were refused; the third good one is over');
  t.equal((await rows(h)).length, 1);
});

t.test('Umami: 200 with the cache body, 400 for what is not Umami\'s; identify not stored', async (t) => {
  const h = await buildTestApp(t, { ALLOWED_ORIGINS: SITE });
  const payload = { website: '3f8d7c2e-1111-4222-8333-444455556666', hostname: 'www.example.com', screen: '1920x1080', language: 'de-DE', title: 'Start', url: '/start?utm_campaign=spring', referrer: 'https://search.example/?q=a' };
  const view = await umami(h, { type: 'event', payload });
  t.equal(view.statusCode, 200);
  t.equal(view.headers['content-type'], 'application/json; charset=utf-8');
  t.same(view.json(), { cache: '' }, 'nothing the client could use, or forge');
  const event = await umami(h, { type: 'event', payload: { ...payload, name: 'download', data: { file: 'a.pdf' } } }, { 'x-umami-cache': '{"cache":"forged-session"}' });
  t.equal(event.statusCode, 200, 'a cache header sent back is read by nobody');
  const identify = await umami(h, { type: 'identify', payload: { ...payload, data: { email: 'a@b.c' } } });
  t.equal(identify.statusCode, 200);
  const stored = await rows(h);
  t.match(stored, [
    { type: 'pageview', url: `${SITE}/start?utm_campaign=spring`, hostname: 'www.example.com', referrer: 'https://search.example/?q=a', payload: { $title: 'Start', $language: 'de-DE', $screen: '1920x1080' } },
    { type: 'event', event_name: 'download', payload: { file: 'a.pdf', $title: 'Start' } },
  ]);
  t.equal(stored.length, 2);
  t.equal(stored[0]?.session_id, stored[1]?.session_id, 'one session: the forged cache changed nothing');
  t.equal(await rejected(h, 'unsupported_type'), 1, 'identify counted as a message we do not store');

  for (const bad of ['{"type":', '{"type":"event"}', JSON.stringify({ type: 'event', payload: { hostname: 'www.example.com', url: 'no-slash' } })]) {
    const res = await umami(h, bad);
    t.equal(res.statusCode, 400, `400 for ${bad}`);
    t.same(res.json(), { error: 'bad request' });
  }
  const foreign = await umami(h, { type: 'event', payload: { ...payload, hostname: 'evil.example' } });
  t.equal(foreign.statusCode, 200, 'a refused site still gets the usual answer');
  t.equal(await rejected(h, 'origin'), 1);
  const big = await umami(h, { type: 'event', payload: { ...payload, data: { k: 'x'.repeat(70_000) } } });
  t.equal(big.statusCode, 400, 'a body over 64 KiB: bad request, never a 5xx');
  t.equal(await rejected(h, 'invalid_json'), 1);
  t.equal(await rejected(h, 'invalid_schema'), 2);
  t.equal(await rejected(h, 'too_large'), 1);
  t.equal((await rows(h)).length, 2, 'nothing more stored');
});

t.test('CORS: Plausible\'s path as COLLECT_PATH; Umami\'s preflight allows x-umami-cache; others none', async (t) => {
  const h = await buildTestApp(t, { ALLOWED_ORIGINS: SITE });
  const preflight = (url: string, origin: string) =>
    h.app.inject({ method: 'OPTIONS', url, headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-umami-cache' } });
  const u = await preflight('/api/send', SITE);
  t.equal(u.statusCode, 204);
  t.equal(u.headers['access-control-allow-origin'], SITE);
  t.match(String(u.headers['access-control-allow-headers']).toLowerCase(), /content-type/);
  t.match(String(u.headers['access-control-allow-headers']).toLowerCase(), /x-umami-cache/);
  const p = await preflight('/api/event', SITE);
  t.equal(p.headers['access-control-allow-origin'], SITE);
  t.notMatch(String(p.headers['access-control-allow-headers']), /x-umami-cache/i, 'Plausible needs no such header');
  const refused = await preflight('/api/send', 'https://evil.example');
  t.equal(refused.statusCode, 204);
  t.equal(refused.headers['access-control-allow-origin'], undefined);
});

t.test('PLAUSIBLE_PATH and UMAMI_PATH move or turn off the endpoints', async (t) => {
  const h = await buildTestApp(t, { PLAUSIBLE_PATH: '/p/e', UMAMI_PATH: 'off' });
  t.equal((await h.app.inject({ method: 'POST', url: '/api/event', payload: '{}' })).statusCode, 404);
  t.equal((await h.app.inject({ method: 'POST', url: '/api/send', payload: '{}' })).statusCode, 404);
  const moved = await h.app.inject({ method: 'POST', url: '/p/e', payload: JSON.stringify({ n: 'pageview', u: 'https://example.com/' }), headers: { 'user-agent': CHROME_UA } });
  t.equal(moved.statusCode, 202);
  t.equal((await rows(h)).length, 1);
  const preflight = await h.app.inject({ method: 'OPTIONS', url: '/api/send', headers: { origin: SITE, 'access-control-request-method': 'POST' } });
  t.equal(preflight.headers['access-control-allow-origin'], undefined, 'no CORS on a path that is off');
});

t.test('the debug twins explain a tracker beacon and store nothing', async (t) => {
  const h = await buildTestApp(t, { ALLOWED_ORIGINS: SITE, DEBUG_ENDPOINT: 'true' });
  const p = await h.app.inject({ method: 'POST', url: '/api/event/debug', payload: JSON.stringify({ n: 'Signup', u: `${SITE}/a`, d: 'example.com', p: { plan: 'pro' } }), headers: { 'user-agent': CHROME_UA, origin: SITE } });
  t.equal(p.statusCode, 200);
  t.match(p.json(), { received: 1, accepted: 1, beacons: [{ accepted: true, row: { type: 'event', event_name: 'Signup', url: `${SITE}/a`, payload: { plan: 'pro' } } }] });
  t.equal(p.headers['access-control-allow-origin'], undefined, 'no CORS: another site must not read it');
  const u = await h.app.inject({ method: 'POST', url: '/api/send/debug', payload: JSON.stringify({ type: 'event', payload: { hostname: 'evil.example', url: '/' } }), headers: { 'user-agent': CHROME_UA, origin: SITE } });
  t.match(u.json(), { received: 1, accepted: 0, beacons: [{ accepted: false, reason: 'origin', detail: /evil\.example/ }] });
  const broken = await h.app.inject({ method: 'POST', url: '/api/send/debug', payload: '{"type":"identify","payload":{}}', headers: { 'user-agent': CHROME_UA } });
  t.match(broken.json(), { beacons: [{ accepted: false, reason: 'unsupported_type' }] });
  t.equal((await rows(h)).length, 0);
  t.equal(await rejected(h, 'origin'), 0, 'a dry run counts nothing');
});
