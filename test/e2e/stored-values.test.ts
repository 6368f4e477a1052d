// Over a real socket and a real database: a beacon that cannot be stored as sent is refused at the
// door, so nothing reaches the dead-letter file and no visitor's session is poisoned.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { RowDataPacket } from 'mysql2/promise';
import { buildTestApp, CHROME_UA, metricValue, type TestApp } from '../helpers/app.js';

async function listen(h: TestApp): Promise<string> {
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  const address = h.app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}

/** Rows dead-lettered, whatever labels the counter carries. */
async function deadLettered(h: TestApp): Promise<number> {
  return (await h.app.metrics.deadLetterRows.get()).values.reduce((sum, v) => sum + v.value, 0);
}

t.test('quotes that push a url past 2048, hostile hosts and userinfo: refused or cleaned, the visitor keeps counting', async (t) => {
  const h = await buildTestApp(t);
  const base = await listen(h);
  const send = async (beacon: unknown) => {
    const res = await fetch(`${base}/collect`, { method: 'POST', body: JSON.stringify(beacon), headers: { 'content-type': 'text/plain', 'user-agent': CHROME_UA } });
    t.equal(res.status, 204);
  };
  const head = "https://example.com/'x'x'x'x'x";
  await send({ url: head + 'a'.repeat(2040 - head.length) });
  await send({ url: 'https://a"onmouseover="alert(1)"b.example/' });
  await send({ url: 'https://user:secret@example.com/second', referrer: 'https://x"<svg onload=alert(1)>.example/' });
  await send({ url: 'https://example.com/third', type: 'click', name: 'buy' });
  await h.flush();

  const rows = await h.db.query<RowDataPacket>('SELECT url, hostname, referrer, session_id FROM pageviews ORDER BY id');
  t.same(rows.map((r) => [r.url, r.hostname, r.referrer]), [
    ['https://example.com/second', 'example.com', null],
    ['https://example.com/third', 'example.com', null],
  ]);
  t.equal(rows[0]?.session_id, rows[1]?.session_id, 'one session');
  const [s] = await h.db.query<RowDataPacket>('SELECT entry_url, entry_referrer, exit_url, pageviews, events FROM sessions');
  t.same(s, { entry_url: 'https://example.com/second', entry_referrer: null, exit_url: 'https://example.com/second', pageviews: 1, events: 1 });
  for (const r of rows) t.ok(String(r.url).length <= 2048);

  const metrics = await (await fetch(`${base}/metrics`)).text();
  t.equal(await deadLettered(h), 0, 'nothing dead-lettered');
  t.equal(metricValue(metrics, 'beacon_rejected_total{reason="invalid_url"}'), 2);
  t.equal(metricValue(metrics, 'beacon_fields_dropped_total{field="referrer"}'), 1);
  t.notOk(existsSync(join(h.config.spoolDir, 'dead-letter.ndjson')), 'no dead-letter file');
});
