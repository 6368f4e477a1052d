// POST /collect's request handling: CORS and origins, every failure counted by reason, the client
// IP behind proxies and as stored, and the /metrics token and health routes beside it.
import t from 'tap';
import { buildTestApp, metricValue } from '../helpers/app.js';
import { post, rows } from '../helpers/collect.js';

t.test('CORS: allowed preflight echoes the origin; a disallowed one gets 204 and no grant', async (t) => {
  const h = await buildTestApp(t, { ALLOWED_ORIGINS: 'https://example.com,https://www.example.com' });
  const ok = await h.app.inject({
    method: 'OPTIONS',
    url: '/collect',
    headers: { origin: 'https://www.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
  });
  t.equal(ok.statusCode, 204);
  t.equal(ok.body, '');
  t.equal(ok.headers['access-control-allow-origin'], 'https://www.example.com');
  t.equal(ok.headers['access-control-allow-credentials'], 'true');
  t.equal(ok.headers['access-control-allow-methods'], 'POST, OPTIONS');
  t.equal(ok.headers['access-control-allow-headers'], 'Content-Type');
  t.equal(ok.headers['access-control-max-age'], '86400');
  t.match(String(ok.headers.vary), /Origin/);

  const bad = await h.app.inject({ method: 'OPTIONS', url: '/collect', headers: { origin: 'https://evil.test', 'access-control-request-method': 'POST' } });
  t.equal(bad.statusCode, 204);
  t.equal(bad.headers['access-control-allow-origin'], undefined);
  const bare = await h.app.inject({ method: 'OPTIONS', url: '/collect' });
  t.equal(bare.statusCode, 204, 'a preflight without Origin is not a 400');

  const unset = await buildTestApp(t, {}, () => {}, h.db);
  const any = await unset.app.inject({ method: 'OPTIONS', url: '/collect', headers: { origin: 'https://anything.test', 'access-control-request-method': 'POST' } });
  t.equal(any.headers['access-control-allow-origin'], 'https://anything.test', 'unset: any origin, echoed, never *');
});

t.test('origins: a disallowed Origin and a foreign url host are dropped with reason origin', async (t) => {
  const h = await buildTestApp(t, { ALLOWED_ORIGINS: 'https://example.com' });
  const body = JSON.stringify([{ url: 'https://example.com/ok' }, { url: 'https://example.com/ok2' }]);
  t.equal((await post(h, body, { origin: 'https://evil.test', 'content-type': 'text/plain' })).statusCode, 204);
  t.equal((await post(h, JSON.stringify({ url: 'https://other.test/page' }), { origin: 'https://example.com' })).statusCode, 204);
  t.equal((await post(h, JSON.stringify({ url: 'https://example.com/good' }), { origin: 'https://example.com' })).statusCode, 204);
  t.equal((await post(h, JSON.stringify({ url: 'https://example.com/no-origin' }))).statusCode, 204);
  await h.flush();
  t.same((await rows(h)).map((r) => r.url), ['https://example.com/good', 'https://example.com/no-origin']);
  const metrics = (await h.app.inject('/metrics')).body;
  t.equal(metricValue(metrics, 'beacon_rejected_total{reason="origin"}'), 3, 'two from the bad origin, one foreign host');

  const strict = await buildTestApp(t, { ALLOWED_ORIGINS: 'https://example.com', REQUIRE_ORIGIN: 'true' });
  await post(strict, JSON.stringify({ url: 'https://example.com/no-origin' }));
  await strict.flush();
  t.equal((await rows(strict)).length, 0, 'REQUIRE_ORIGIN drops beacons without Origin');
});

t.test('every failure answers 204 with an empty body and is counted by reason', async (t) => {
  const h = await buildTestApp(t, { LOG_LEVEL: 'debug' });
  const cases: [string, () => ReturnType<typeof post>, string][] = [
    ['broken JSON', () => post(h, '{"url": '), 'invalid_json'],
    ['JSON scalar', () => post(h, '"hello"'), 'invalid_schema'],
    ['XML', () => post(h, '<beacon/>', { 'content-type': 'application/xml' }), 'unsupported_type'],
    ['octet-stream', () => post(h, Buffer.from([0, 1, 2]), { 'content-type': 'application/octet-stream' }), 'unsupported_type'],
    ['over 64 KiB', () => post(h, JSON.stringify({ url: 'https://example.com/', payload: { s: 'x'.repeat(70_000) } })), 'too_large'],
    ['garbage form', () => post(h, '%%%', { 'content-type': 'application/x-www-form-urlencoded' }), 'invalid_schema'],
    ['broken multipart', () => post(h, 'nope', { 'content-type': 'multipart/form-data; boundary=x' }), 'invalid_json'],
  ];
  for (const [label, send, reason] of cases) {
    const res = await send();
    t.equal(res.statusCode, 204, `${label}: 204`);
    t.equal(res.body, '', `${label}: empty body`);
    const metrics = (await h.app.inject('/metrics')).body;
    t.ok(metricValue(metrics, `beacon_rejected_total{reason="${reason}"}`) >= 1, `${label}: counted as ${reason}`);
  }
  await h.flush();
  t.equal((await rows(h)).length, 0, 'nothing stored');
  t.ok(h.logs.filter((l) => l.msg === 'beacon rejected').every((l) => typeof l.reason === 'string'), 'reason-coded log lines');
  t.notOk(JSON.stringify(h.logs).includes('x'.repeat(200)), 'no payload echo beyond a short excerpt');
});

t.test('client IP: X-Forwarded-For is honoured only as far as TRUST_PROXY allows', async (t) => {
  const h = await buildTestApp(t, { TRUST_PROXY: '1', IP_STORAGE: 'full' });
  // The visitor (198.51.100.7) prepends a forged entry; the one trusted proxy appends the real one.
  await post(h, JSON.stringify({ url: 'https://example.com/a' }), { 'x-forwarded-for': '1.2.3.4, 198.51.100.7' });
  await post(h, JSON.stringify({ url: 'https://example.com/b' }), { 'x-forwarded-for': '198.51.100.7' });
  await h.flush();
  const stored = await rows(h);
  t.same(stored.map((r) => r.client_ip), ['198.51.100.7', '198.51.100.7'], 'the forged entry is ignored');
  t.equal(stored[0]?.user_hash, stored[1]?.user_hash, 'same visitor, same hash');

  const cidr = await buildTestApp(t, { TRUST_PROXY: '127.0.0.1/32', IP_STORAGE: 'full' });
  await post(cidr, JSON.stringify({ url: 'https://example.com/c' }), { 'x-forwarded-for': '1.2.3.4, 198.51.100.8' });
  await cidr.flush();
  t.equal((await rows(cidr))[0]?.client_ip, '198.51.100.8', 'CIDR list: first untrusted hop from the right');

  const none = await buildTestApp(t, { IP_STORAGE: 'full' });
  await post(none, JSON.stringify({ url: 'https://example.com/d' }), { 'x-forwarded-for': '1.2.3.4' });
  await none.flush();
  t.equal((await rows(none))[0]?.client_ip, '127.0.0.1', 'TRUST_PROXY=false: the socket address');
});

t.test('IP_STORAGE: truncated keeps /24 and /48, none stores NULL', async (t) => {
  const h = await buildTestApp(t, { TRUST_PROXY: 'true' });
  await post(h, JSON.stringify({ url: 'https://example.com/v4' }), { 'x-forwarded-for': '203.0.113.77' });
  await post(h, JSON.stringify({ url: 'https://example.com/v6' }), { 'x-forwarded-for': '2001:db8:abcd:12:1:2:3:4' });
  await h.flush();
  t.same((await rows(h)).map((r) => r.client_ip), ['203.0.113.0', '2001:db8:abcd::']);
  const none = await buildTestApp(t, { TRUST_PROXY: 'true', IP_STORAGE: 'none' });
  await post(none, JSON.stringify({ url: 'https://example.com/n' }), { 'x-forwarded-for': '203.0.113.77' });
  await none.flush();
  const [row] = await rows(none);
  t.equal(row?.client_ip, null);
  t.match(row?.user_hash, /^[0-9a-f]{16}$/, 'the hash still uses the full address');
});

t.test('/metrics needs the bearer token when METRICS_TOKEN is set', async (t) => {
  const h = await buildTestApp(t, { METRICS_TOKEN: 's3cret' });
  t.equal((await h.app.inject('/metrics')).statusCode, 401);
  t.equal((await h.app.inject({ url: '/metrics', headers: { authorization: 'Bearer wrong!' } })).statusCode, 401);
  const ok = await h.app.inject({ url: '/metrics', headers: { authorization: 'Bearer s3cret' } });
  t.equal(ok.statusCode, 200);
  t.match(ok.body, /beacon_received_total/);
  t.match(ok.body, /process_resident_memory_bytes/);
});

t.test('/health and /ready', async (t) => {
  const h = await buildTestApp(t, { BUFFER_CAPACITY: '10', FLUSH_MAX_ROWS: '10', SPOOL_MAX_BYTES: '0' });
  const health = await h.app.inject('/health');
  t.equal(health.statusCode, 200);
  t.match(health.json(), { status: 'ok', database: 'up', buffer: { rows: 0, capacity: 10 } });
  t.equal((await h.app.inject('/ready')).statusCode, 200);
  await post(h, JSON.stringify(Array.from({ length: 9 }, (_, i) => ({ url: `https://example.com/${i}` }))));
  t.equal((await h.app.inject('/ready')).statusCode, 503, 'not ready at 90% fill with no spool to take the rest');
  await h.flush();
  t.equal((await h.app.inject('/ready')).statusCode, 200);
  h.app.draining = true;
  t.equal((await h.app.inject('/ready')).statusCode, 503, 'not ready while draining');
  t.equal((await post(h, JSON.stringify({ url: 'https://example.com/late' }))).statusCode, 204, 'still takes beacons');
});
