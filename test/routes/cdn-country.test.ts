// A CDN's country header is believed only when CDN_COUNTRY_HEADER names it and a trusted proxy
// sent it (issue 13, finding 6b): otherwise a visitor behind a proxy that passes client headers on
// would choose its own country.
import t from 'tap';
import type { RowDataPacket } from 'mysql2/promise';
import { buildTestApp, CHROME_UA, type TestApp } from '../helpers/app.js';

async function send(h: TestApp, path: string, headers: Record<string, string>) {
  const res = await h.app.inject({
    method: 'POST',
    url: '/collect',
    payload: JSON.stringify({ url: `https://example.com/${path}` }),
    headers: { 'content-type': 'text/plain', 'user-agent': CHROME_UA, 'x-forwarded-for': '8.8.8.8', ...headers },
  });
  if (res.statusCode !== 204) throw new Error(`status ${res.statusCode}`);
}
const countries = async (h: TestApp) => (await h.db.query<RowDataPacket>('SELECT geo_country FROM pageviews ORDER BY id')).map((r) => r.geo_country);

t.test('unset (the default): no country header is believed, even from a trusted proxy', async (t) => {
  const h = await buildTestApp(t, { TRUST_PROXY: '127.0.0.1' });
  await send(h, 'cf', { 'cf-ipcountry': 'DE' });
  await send(h, 'cloudfront', { 'cloudfront-viewer-country': 'FR' });
  await send(h, 'vercel', { 'x-vercel-ip-country': 'JP' });
  await h.flush();
  t.same(await countries(h), ['US', 'US', 'US'], 'the GeoIP lookup of the client address (8.8.8.8)');
});

t.test('CDN_COUNTRY_HEADER: that one header, from a trusted hop; XX, T1 and junk fall back to GeoIP', async (t) => {
  const h = await buildTestApp(t, { TRUST_PROXY: '127.0.0.1', CDN_COUNTRY_HEADER: 'CF-IPCountry' });
  await send(h, 'cf', { 'cf-ipcountry': 'de' });
  await send(h, 'cloudfront', { 'cloudfront-viewer-country': 'FR' });
  await send(h, 'vercel', { 'x-vercel-ip-country': 'JP' });
  await send(h, 'tor', { 'cf-ipcountry': 'T1' });
  await send(h, 'unknown', { 'cf-ipcountry': 'XX' });
  await send(h, 'junk', { 'cf-ipcountry': '<b>' });
  await h.flush();
  t.same(await countries(h), ['DE', 'US', 'US', 'US', 'US', 'US']);

  const untrusted = await buildTestApp(t, { TRUST_PROXY: '10.0.0.0/8', CDN_COUNTRY_HEADER: 'cf-ipcountry' }); // the test client (127.0.0.1) is not a proxy
  await send(untrusted, 'forged', { 'cf-ipcountry': 'DE' });
  await untrusted.flush();
  t.same(await countries(untrusted), [null], 'from a client that is no trusted proxy the header is ignored');
});

t.test('over a real socket: the header is believed from the trusted peer only when named', async (t) => {
  const named = await buildTestApp(t, { TRUST_PROXY: 'loopback', CDN_COUNTRY_HEADER: 'x-vercel-ip-country' });
  const unnamed = await buildTestApp(t, { TRUST_PROXY: 'loopback' });
  for (const h of [named, unnamed]) {
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const address = h.app.server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const res = await fetch(`http://127.0.0.1:${address.port}/collect`, {
      method: 'POST',
      body: JSON.stringify({ url: 'https://example.com/' }),
      headers: { 'content-type': 'text/plain', 'user-agent': CHROME_UA, 'x-forwarded-for': '8.8.8.8', 'x-vercel-ip-country': 'JP', 'cf-ipcountry': 'DE' },
    });
    t.equal(res.status, 204);
    await h.flush();
  }
  t.same(await countries(named), ['JP']);
  t.same(await countries(unnamed), ['US']);
});
