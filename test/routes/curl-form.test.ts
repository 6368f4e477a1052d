// `curl -d '{"url":…}'` labels its JSON application/x-www-form-urlencoded (curl's default for -d), as
// do many HTTP libraries when sent a string: over a real socket, such a body is stored as the JSON it
// is, and a genuine form next to it is stored as before.
import type { AddressInfo } from 'node:net';
import t from 'tap';
import type { RowDataPacket } from 'mysql2/promise';
import { buildTestApp, CHROME_UA, metricValue, type TestApp } from '../helpers/app.js';

const FORM = 'application/x-www-form-urlencoded';

/** What `curl -A CHROME_UA -d BODY URL` sends: the body's bytes as given, labelled a form. */
async function curlD(base: string, path: string, body: string): Promise<Response> {
  return fetch(base + path, { method: 'POST', body, headers: { 'content-type': FORM, 'user-agent': CHROME_UA, accept: '*/*' } });
}

async function listening(h: TestApp): Promise<string> {
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
}

t.test('curl -d with JSON: stored as the JSON; a genuine form alongside unchanged', async (t) => {
  const h = await buildTestApp(t);
  const base = await listening(h);
  const sent = [
    '{"url":"https://example.com/curl"}',
    // + & = and % in values: read from the bytes, not as form syntax.
    '[{"url":"https://example.com/search?q=a+b&page=2","type":"event","name":"x=1"},{"url":"https://example.com/100%25"}]',
    new URLSearchParams({ url: 'https://example.com/form', type: 'click', name: 'cta', viewport_w: '390' }).toString(),
  ];
  for (const body of sent) t.equal((await curlD(base, '/collect', body)).status, 204);
  await h.flush();
  const stored = await h.db.query<RowDataPacket>('SELECT url, type, event_name, viewport_width FROM pageviews ORDER BY id');
  t.same(
    stored.map((r) => ({ ...r })),
    [
      { url: 'https://example.com/curl', type: 'pageview', event_name: null, viewport_width: null },
      { url: 'https://example.com/search?q=a+b&page=2', type: 'event', event_name: 'x=1', viewport_width: null },
      { url: 'https://example.com/100%25', type: 'pageview', event_name: null, viewport_width: null },
      { url: 'https://example.com/form', type: 'click', event_name: 'cta', viewport_width: 390 },
    ],
  );
  const metrics = await h.app.inject('/metrics');
  t.equal(metricValue(metrics.body, 'beacon_accepted_total'), 4);
  t.equal(metricValue(metrics.body, 'beacon_rejected_total{reason="invalid_schema"}'), 0);
});

t.test('curl -d to the debug endpoint: the JSON is what is checked', async (t) => {
  const h = await buildTestApp(t, { DEBUG_ENDPOINT: 'true' });
  const base = await listening(h);
  const res = await curlD(base, '/collect/debug', '{"url":"https://example.com/","type":"event","name":"signup"}');
  t.equal(res.status, 200);
  t.match(await res.json(), { received: 1, accepted: 1, beacons: [{ accepted: true, row: { url: 'https://example.com/', type: 'event', event_name: 'signup' } }] });
});

t.test('curl -d to the debug endpoint with a mistake: told which field and what it allows', async (t) => {
  const h = await buildTestApp(t, { DEBUG_ENDPOINT: 'true' });
  const base = await listening(h);
  const res = await curlD(base, '/collect/debug', '[{"url":"https://example.com/","type":"view"},{"type":"event"}]');
  t.match(await res.json(), {
    received: 2,
    accepted: 0,
    beacons: [
      { reason: 'invalid_schema', detail: 'type: must be one of pageview, event, click, error, performance (got "view")' },
      { reason: 'invalid_schema', detail: 'url: missing (required)' },
    ],
  });
});
