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

function row(n: number, over: Partial<PageviewRow> = {}): PageviewRow {
  const id = Buffer.alloc(16);
  id.writeUInt32BE(n, 12);
  return {
    beaconId: id, url: `https://a.example/${n}`, hostname: 'a.example', type: 'pageview', eventName: null, userAgent: null, browser: null, os: null, device: null, isBot: false,
    viewportWidth: null, viewportHeight: null, referrer: null, clientTimestamp: null, serverTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, n)),
    clientIp: null, sessionId: null, payload: null, userHash: 'abcdef0123456789', geoCountry: null, session: null, approxBytes: 300, ...over,
  };
}

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
