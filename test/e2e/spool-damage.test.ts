// A spool left by an earlier run holds lines that are valid JSON but not valid rows (edited, or
// written by a bug): the service still starts, the rows around them are written, and each bad line
// is dead-lettered with a log line and a counter instead of blocking the start or the flushes.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { RowDataPacket } from 'mysql2/promise';
import { encodeRow } from '../../src/buffer/row-codec.js';
import { buildTestApp, metricValue } from '../helpers/app.js';
import { spoolRow } from '../buffer/spool-row.js';

t.test('bad spool lines are dead-lettered; the start and the rows around them go on', async (t) => {
  const good = (n: number) => encodeRow(spoolRow(n));
  const wrong = (n: number, change: Record<string, unknown>) => JSON.stringify({ ...JSON.parse(good(n)), ...change });
  const bad = [
    JSON.stringify({ beaconId: '00000000000000000000000000000002', url: 'https://a.example/2' }), // no session field: crashed the warm-up
    wrong(3, { serverTimestamp: 'yesterday' }), // a field present but wrong: stalled every flush
    wrong(4, { session: { start: {} } }),
  ];
  const lines = [good(1), bad[0], bad[1], good(5), bad[2], good(6)];
  let spoolDir = '';
  const h = await buildTestApp(t, { LOG_LEVEL: 'info' }, (config) => {
    spoolDir = config.spoolDir;
    mkdirSync(spoolDir, { recursive: true });
    writeFileSync(join(spoolDir, '500000000000.ndjson'), lines.join('\n') + '\n');
  });
  t.equal(h.app.writer.spooled, 6, 'started with the spool in place');
  await h.flush();
  const stored = await h.db.query<RowDataPacket>('SELECT url FROM pageviews ORDER BY id');
  t.same(stored.map((r) => r.url), ['https://a.example/1', 'https://a.example/5', 'https://a.example/6'], 'the good rows, in order');
  const letters = readFileSync(join(spoolDir, 'dead-letter.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { line?: string });
  t.same(letters.map((l) => l.line), bad, 'each bad line kept as it was, for a person to look at');
  const metrics = await (await h.app.inject('/metrics')).body;
  t.equal(metricValue(metrics, 'beacon_dead_letter_rows_total{reason="unreadable"}'), 3);
  t.equal(metricValue(metrics, 'beacon_rows_written_total'), 3);
  t.ok(h.logs.some((l) => l.level >= 50 && /spool/.test(l.msg)), 'an error line names the spool');
  t.equal(h.app.writer.spooled, 0, 'the segment is done with');
});
