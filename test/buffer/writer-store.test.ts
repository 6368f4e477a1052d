// The writer against the real store (TEST_STORE: MariaDB or SQLite): lost commit replies and rows
// the database refuses.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { RowDataPacket } from 'mysql2/promise';
import { BatchWriter, type WriterEvents } from '../../src/buffer/batch-writer.js';
import { DeadLetters } from '../../src/buffer/dead-letters.js';
import { loadConfig } from '../../src/config.js';
import { migrateStore } from '../../src/sinks/migrate-store.js';
import { MysqlSink } from '../../src/sinks/mysql-sink.js';
import { SinkUnavailableError, type Batch, type PageviewRow, type Sink } from '../../src/sinks/sink.js';
import { SqliteSink } from '../../src/sinks/sqlite-sink.js';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';

/** The sink the service would open for this database, migrated. */
async function openSink(db: TestDatabase): Promise<Sink> {
  const { config } = loadConfig({ DATABASE_URL: db.url, HASH_SECRET: 'writer-test-secret-0123' });
  await migrateStore(config);
  return config.store === 'mysql' ? new MysqlSink({ url: config.databaseUrl, poolSize: 2 }) : new SqliteSink(config.sqlitePath);
}

function row(n: number, over: Partial<PageviewRow> = {}): PageviewRow {
  const id = Buffer.alloc(16);
  id.writeUInt32BE(n, 12);
  return {
    beaconId: id, url: `https://a.example/${n}`, hostname: 'a.example', type: 'pageview', eventName: null, userAgent: null, browser: null, os: null,
    device: null, isBot: false, viewportWidth: null, viewportHeight: null, referrer: null, clientTimestamp: null, serverTimestamp: new Date(),
    clientIp: null, sessionId: null, payload: null, userHash: 'abcdef0123456789', geoCountry: null, session: null, approxBytes: 300, ...over,
  };
}

function recorder() {
  const seen = { failed: 0, dead: [] as string[] };
  const events: WriterEvents = {
    flushed: () => {},
    flushFailed: () => void seen.failed++,
    deadLettered: (_e, r) => void seen.dead.push(r.url),
    spoolDamaged: () => {},
  };
  return { seen, events };
}

t.test('a flush whose reply is lost after the commit is retried without duplicating anything', async (t) => {
  const db = await freshDatabase(t);
  const real = await openSink(db);
  t.teardown(() => real.close());
  let loseNext = 1;
  // Commits for real, then behaves as if the connection died before the OK arrived.
  const sink: Sink = Object.assign(Object.create(real) as Sink, {
    async writeBatch(batch: Batch) {
      await real.writeBatch(batch);
      if (loseNext-- > 0) throw new SinkUnavailableError('connection lost after COMMIT', { code: 'PROTOCOL_CONNECTION_LOST' });
    },
  });
  const { seen, events } = recorder();
  const start = { id: '0b7f1c2e-3d4a-4b5c-8d6e-7f8091a2b3c4', hostname: 'a.example', startedAt: Date.now(), entryUrl: 'https://a.example/0', entryReferrer: null, utmSource: null, utmMedium: null, utmCampaign: null, utmTerm: null, utmContent: null };
  const writer = new BatchWriter({ sink, capacity: 1000, flushMaxRows: 1000, flushIntervalMs: 60_000, spool: null, deadLetters: null, events, retryBaseMs: 10 });
  for (let i = 0; i < 50; i++) {
    writer.push(row(i, { sessionId: start.id, session: { start, userHash: 'abcdef0123456789', lastSeenAt: Date.now() + i, pageviews: i + 1, events: 0, exitUrl: `https://a.example/${i}` } }));
  }
  const { left } = await writer.drain(5000);
  t.equal(left, 0);
  t.equal(seen.failed, 1, 'the first attempt looked failed');
  const [r] = await db.query<RowDataPacket>('SELECT COUNT(*) AS n, COUNT(DISTINCT beacon_id) AS d FROM pageviews');
  t.same([Number(r?.n), Number(r?.d)], [50, 50]);
  const [s] = await db.query<RowDataPacket>('SELECT pageviews FROM sessions');
  t.equal(s?.pageviews, 50, 'the session is not double-counted');
});

t.test('a batch holding rows the database refuses writes the others and dead-letters those', async (t) => {
  const db = await freshDatabase(t);
  const sink = await openSink(db);
  t.teardown(() => sink.close());
  const dir = mkdtempSync(join(tmpdir(), 'bi-dead-'));
  const deadLetters = new DeadLetters(dir);
  const { seen, events } = recorder();
  const writer = new BatchWriter({ sink, capacity: 1000, flushMaxRows: 1000, flushIntervalMs: 60_000, spool: null, deadLetters, events });
  for (let i = 0; i < 100; i++) {
    // Row 37 carries a payload the JSON column will not take; row 81 a hostname too long for strict mode.
    const over = i === 37 ? { payload: '{"broken": ' } : i === 81 ? { hostname: 'h'.repeat(300) } : {};
    writer.push(row(i, over));
  }
  const { left } = await writer.drain(10_000);
  t.equal(left, 0, 'the writer did not stall');
  const [r] = await db.query<RowDataPacket>('SELECT COUNT(*) AS n FROM pageviews');
  t.equal(Number(r?.n), 98, 'every other row written');
  t.same(seen.dead.sort(), ['https://a.example/37', 'https://a.example/81']);
  const lines = readFileSync(deadLetters.path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.equal(lines.length, 2);
  t.match(lines.find((l) => l.row.url.endsWith('/37')), { code: /^(ER_|SQLITE_CONSTRAINT)/, error: /JSON|CONSTRAINT/i, row: { payload: '{"broken": ' } });
  t.match(lines.find((l) => l.row.url.endsWith('/81')), { code: /^(ER_DATA_TOO_LONG|SQLITE_CONSTRAINT)/, error: /hostname/ });
  t.equal(seen.failed, 0, 'a refusal is not an outage');
});
