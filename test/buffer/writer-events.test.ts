// What the metrics plugin makes of the writer's events: counters and log lines, over the whole app
// and the real database.
import t from 'tap';
import type { PageviewRow } from '../../src/sinks/sink.js';
import { buildTestApp, metricValue } from '../helpers/app.js';
import { spoolRow } from './spool-row.js';

const START = Date.UTC(2026, 0, 1);
const ID = '0b7f1c2e-3d4a-4b5c-8d6e-7f8091a2b3c4';

/** spoolRow(n) carrying a session whose start hostname no column can hold. */
function withRefusedSession(n: number): PageviewRow {
  const start = { id: ID, hostname: 'h'.repeat(300), startedAt: START, entryUrl: 'https://a.example/1', entryReferrer: null, utmSource: null, utmMedium: null, utmCampaign: null, utmTerm: null, utmContent: null };
  return { ...spoolRow(n), sessionId: ID, session: { start, userHash: 'abcdef0123456789', lastSeenAt: START + n, pageviews: n, events: 0, exitUrl: null } };
}

t.test('a refused session update: counted, logged at error level, the beacon written and not dead-lettered', async (t) => {
  const h = await buildTestApp(t, { LOG_LEVEL: 'info' });
  t.ok(h.app.writer.push(withRefusedSession(1)));
  await h.flush();
  const metrics = (await h.app.inject('/metrics')).body;
  t.equal(metricValue(metrics, 'beacon_session_rows_refused_total'), 1);
  t.equal(metricValue(metrics, 'beacon_rows_written_total'), 1);
  t.equal(metricValue(metrics, 'beacon_dead_letter_rows_total{reason="refused"}'), 0);
  t.match(h.logs.filter((l) => l.level === 50), [{ msg: /refused a session update; the beacon was stored without it/, sessionId: ID, err: { code: 'ER_DATA_TOO_LONG' } }]);
});

t.test('a refused row the dead-letter file has no room for: the log line says it was not kept', async (t) => {
  const h = await buildTestApp(t, { LOG_LEVEL: 'info', DEAD_LETTER_MAX_BYTES: '0' });
  t.ok(h.app.writer.push({ ...spoolRow(1), hostname: 'h'.repeat(300) }));
  await h.flush();
  const metrics = (await h.app.inject('/metrics')).body;
  t.equal(metricValue(metrics, 'beacon_dead_letter_rows_total{reason="refused"}'), 1);
  t.equal(metricValue(metrics, 'beacon_dead_letter_dropped_total'), 1);
  const [line, ...more] = h.logs.filter((l) => l.level === 50);
  t.same(more, []);
  t.match(line, { msg: /the database refused a row/, url: 'https://a.example/1', err: { code: 'ER_DATA_TOO_LONG' } });
  t.match(line?.msg, /not kept.*DEAD_LETTER_MAX_BYTES/);
  t.notMatch(line?.msg, /written to the dead-letter file/);
});

t.test('a refused row kept in the dead-letter file: the log line says so', async (t) => {
  const h = await buildTestApp(t, { LOG_LEVEL: 'info' });
  t.ok(h.app.writer.push({ ...spoolRow(1), hostname: 'h'.repeat(300) }));
  await h.flush();
  t.match(h.logs.filter((l) => l.level === 50), [{ msg: /the database refused a row; written to the dead-letter file/, err: { code: 'ER_DATA_TOO_LONG' } }]);
});
