// One row no statement can hold must never stall the writer: whatever the error (the database's
// refusal or a value the driver cannot write), the row is split out and dead-lettered, the rows
// around it are written, and only those count as written. Against the real database.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { RowDataPacket } from 'mysql2/promise';
import { BatchWriter } from '../../src/buffer/batch-writer.js';
import { DeadLetters } from '../../src/buffer/dead-letters.js';
import { migrateMysql } from '../../src/sinks/mysql-migrate.js';
import { MysqlSink } from '../../src/sinks/mysql-sink.js';
import type { PageviewRow } from '../../src/sinks/sink.js';
import { freshDatabase } from '../helpers/db.js';
import { row } from '../helpers/rows.js';

t.test('poison rows are dead-lettered, the rows around them written, only those counted', async (t) => {
  const db = await freshDatabase(t);
  await migrateMysql(db.url);
  const sink = new MysqlSink({ url: db.url, poolSize: 2 });
  t.teardown(() => sink.close());
  const dir = mkdtempSync(join(tmpdir(), 'bi-poison-'));
  const deadLetters = new DeadLetters(dir);
  const flushed: number[] = [];
  const dead: string[] = [];
  let failures = 0;
  const writer = new BatchWriter({
    sink, capacity: 100, flushMaxRows: 100, flushIntervalMs: 60_000, spool: null, deadLetters, retryBaseMs: 10, retryMaxMs: 20,
    events: {
      flushed: (n) => flushed.push(n),
      flushFailed: () => failures++,
      deadLettered: (_err, r) => dead.push(r.url),
      spoolDamaged: () => {},
    } as ConstructorParameters<typeof BatchWriter>[0]['events'],
  });
  const rows = [
    row(1),
    row(2, { serverTimestamp: new Date(Number.NaN) }), // an invalid time
    row(3),
    row(4, { viewportWidth: Number.NaN }), // not a number a column can hold
    row(5, { hostname: 'h'.repeat(300) }), // too long for its column
    row(6),
    row(7, { clientTimestamp: {} as Date }), // no database error at all: a TypeError before any statement
  ];
  for (const r of rows) t.ok(writer.push(r));
  t.equal(await writer.flush(), true, 'the flush completes: nothing is retried for ever');
  t.equal(failures, 0, 'no flush counted as failed (the database is there)');
  t.same(dead.sort(), ['https://a.example/2', 'https://a.example/4', 'https://a.example/5', 'https://a.example/7']);
  t.same(flushed, [3], 'only the rows the database took are counted written');
  t.equal(writer.written, 3);
  t.equal(writer.size, 0, 'nothing is left waiting behind the poison rows');
  const stored = await db.query<RowDataPacket>('SELECT url FROM pageviews ORDER BY id');
  t.same(stored.map((r) => r.url), ['https://a.example/1', 'https://a.example/3', 'https://a.example/6']);
  t.ok(existsSync(deadLetters.path));
  // Row 7 cannot be encoded as a line either: its log line (the deadLettered event) is all that is left of it.
  t.equal(readFileSync(deadLetters.path, 'utf8').trim().split('\n').length, 3, 'one dead letter per refused row that can be written');
});

t.test('a session snapshot the database refuses does not take its beacon down: the row is stored without it', async (t) => {
  const db = await freshDatabase(t);
  await migrateMysql(db.url);
  const sink = new MysqlSink({ url: db.url, poolSize: 2 });
  t.teardown(() => sink.close());
  const deadLetters = new DeadLetters(mkdtempSync(join(tmpdir(), 'bi-poison-session-')));
  const seen = { flushed: [] as number[], dead: [] as string[], sessionRefused: [] as [unknown, string][], failures: 0 };
  const writer = new BatchWriter({
    sink, capacity: 100, flushMaxRows: 100, flushIntervalMs: 60_000, spool: null, deadLetters, retryBaseMs: 10, retryMaxMs: 20,
    events: {
      flushed: (n: number) => seen.flushed.push(n),
      flushFailed: () => seen.failures++,
      deadLettered: (_err: unknown, r: PageviewRow) => seen.dead.push(r.url),
      sessionRefused: (err: unknown, r: PageviewRow) => seen.sessionRefused.push([err, r.url]),
      spoolDamaged: () => {},
    } as ConstructorParameters<typeof BatchWriter>[0]['events'],
  });
  const session = (id: string, hostname: string, n: number) => ({
    start: { id, hostname, startedAt: Date.UTC(2026, 0, 1), entryUrl: 'https://a.example/1', entryReferrer: null, utmSource: null, utmMedium: null, utmCampaign: null, utmTerm: null, utmContent: null },
    userHash: 'abcdef0123456789', lastSeenAt: Date.UTC(2026, 0, 1) + n, pageviews: n, events: 0, exitUrl: `https://a.example/${n}`,
  });
  const good = '0b7f1c2e-3d4a-4b5c-8d6e-7f8091a2b3c4';
  const bad = '1b7f1c2e-3d4a-4b5c-8d6e-7f8091a2b3c4';
  const rows = [
    row(1, { sessionId: good, session: session(good, 'a.example', 1) }),
    row(2, { sessionId: bad, session: session(bad, 'h'.repeat(300), 1) }), // its session's hostname is too long for the column
    row(3, { sessionId: good, session: session(good, 'a.example', 2) }),
    row(4, { sessionId: bad, session: session(bad, 'h'.repeat(300), 2), hostname: 'h'.repeat(300) }), // refused alone too
  ];
  for (const r of rows) t.ok(writer.push(r));
  t.equal(await writer.flush(), true);
  t.equal(seen.failures, 0);
  t.same(seen.dead, ['https://a.example/4'], 'only the row the database refuses on its own is dead-lettered');
  t.same(seen.sessionRefused.map(([, url]) => url), ['https://a.example/2'], 'the refused session is reported with its beacon');
  t.match(seen.sessionRefused[0]?.[0], { code: 'ER_DATA_TOO_LONG' }, 'with the database\'s reason');
  t.same(seen.flushed, [3], 'the beacon stored without its session counts as written');
  const stored = await db.query<RowDataPacket>('SELECT url, session_id FROM pageviews ORDER BY id');
  t.same(stored.map((r) => [r.url, r.session_id]), [['https://a.example/1', good], ['https://a.example/2', bad], ['https://a.example/3', good]]);
  const sessions = await db.query<RowDataPacket>('SELECT session_id, pageviews FROM sessions');
  t.same(sessions.map((s) => [s.session_id, s.pageviews]), [[good, 2]], 'the good session is stored; the refused one is not');
  t.equal(readFileSync(deadLetters.path, 'utf8').trim().split('\n').length, 1);
});
