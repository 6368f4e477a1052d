// RATE_LIMIT_PER_MIN per client: IPv4 addresses one by one, IPv6 per RATE_LIMIT_IPV6_PREFIX (issue 13, finding 6a).
import t from 'tap';
import type { RowDataPacket } from 'mysql2/promise';
import { buildTestApp, CHROME_UA, metricValue, type TestApp } from '../helpers/app.js';

async function send(h: TestApp, ip: string, path: string) {
  const res = await h.app.inject({
    method: 'POST',
    url: '/collect',
    payload: JSON.stringify({ url: `https://example.com/${path}` }),
    headers: { 'content-type': 'text/plain', 'user-agent': CHROME_UA, 'x-forwarded-for': ip },
  });
  if (res.statusCode !== 204) throw new Error(`status ${res.statusCode}`);
}
const stored = async (h: TestApp) => Number((await h.db.query<RowDataPacket>('SELECT COUNT(*) AS n FROM pageviews'))[0]?.n);
const limited = async (h: TestApp) => metricValue((await h.app.inject('/metrics')).body, 'beacon_rejected_total{reason="rate_limited"}');

t.test('IPv6 clients share one budget per /64 by default: rotating addresses in a prefix gains nothing', async (t) => {
  const h = await buildTestApp(t, { RATE_LIMIT_PER_MIN: '5', TRUST_PROXY: 'true' });
  for (let i = 1; i <= 10; i++) await send(h, `2001:db8:1:2::${i.toString(16)}`, `a${i}`);
  for (let i = 1; i <= 3; i++) await send(h, `2001:db8:1:2:${i}:ffff:ffff:ffff`, `b${i}`);
  for (let i = 1; i <= 3; i++) await send(h, `2001:db8:1:3::${i}`, `c${i}`); // the next /64: its own budget
  await h.flush();
  t.equal(await stored(h), 5 + 3);
  t.equal(await limited(h), 8);
});

t.test('RATE_LIMIT_IPV6_PREFIX sets the prefix; IPv4 and IPv4-mapped addresses count per address', async (t) => {
  const wide = await buildTestApp(t, { RATE_LIMIT_PER_MIN: '2', TRUST_PROXY: 'true', RATE_LIMIT_IPV6_PREFIX: '48' });
  for (let i = 1; i <= 4; i++) await send(wide, `2001:db8:1:${i}::1`, `w${i}`);
  await wide.flush();
  t.equal(await stored(wide), 2, 'a /48 shares one budget');

  const single = await buildTestApp(t, { RATE_LIMIT_PER_MIN: '2', TRUST_PROXY: 'true', RATE_LIMIT_IPV6_PREFIX: '128' });
  for (let i = 1; i <= 4; i++) await send(single, `2001:db8::${i}`, `s${i}`);
  await single.flush();
  t.equal(await stored(single), 4, '/128: every address its own');

  const v4 = await buildTestApp(t, { RATE_LIMIT_PER_MIN: '2', TRUST_PROXY: 'true' });
  await send(v4, '198.51.100.1', 'm1');
  await send(v4, '::ffff:198.51.100.1', 'm2');
  await send(v4, '::ffff:c633:6401', 'm3');
  await send(v4, '198.51.100.2', 'm4');
  await v4.flush();
  t.equal(await stored(v4), 3, 'the mapped forms are the same IPv4 client; the neighbour has its own budget');
});
