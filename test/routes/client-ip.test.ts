// The client address as stored always fits its column: a trusted X-Forwarded-For carrying an IPv6
// zone id of any length must not make a row the database refuses (50 per request, each dead-lettered).
import t from 'tap';
import type { RowDataPacket } from 'mysql2/promise';
import { buildTestApp, CHROME_UA } from '../helpers/app.js';

t.test('IP_STORAGE=full behind a trusted proxy: an IPv6 zone id is dropped, the beacon stored', async (t) => {
  const h = await buildTestApp(t, { IP_STORAGE: 'full', TRUST_PROXY: 'true' });
  const res = await h.app.inject({
    method: 'POST',
    url: '/collect',
    payload: JSON.stringify({ url: 'https://a.example/' }),
    headers: { 'content-type': 'text/plain', 'user-agent': CHROME_UA, 'x-forwarded-for': `fe80::1%${'a'.repeat(60)}` },
  });
  t.equal(res.statusCode, 204);
  await h.flush();
  const rows = await h.db.query<RowDataPacket>('SELECT client_ip FROM pageviews');
  t.same(rows.map((r) => r.client_ip), ['fe80::1']);
});
