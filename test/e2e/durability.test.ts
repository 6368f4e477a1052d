// kill -9 with rows still buffered: what each BUFFER_DURABILITY mode loses.
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import type { RowDataPacket } from 'mysql2/promise';
import { CHROME_UA, TEST_SECRET } from '../helpers/fixtures.js';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';
import { freePort, startService, until } from '../helpers/process.js';


async function stats(db: TestDatabase): Promise<{ rows: number; distinct: number }> {
  const [r] = await db.query<RowDataPacket>('SELECT COUNT(*) AS n, COUNT(DISTINCT beacon_id) AS d FROM pageviews');
  return { rows: Number(r?.n), distinct: Number(r?.d) };
}

function start(t: Test, db: TestDatabase, dataDir: string, port: number, env: Record<string, string>) {
  return startService(t, { ...process.env, DATABASE_URL: db.url, PORT: String(port), HOST: '127.0.0.1', HASH_SECRET: TEST_SECRET, DATA_DIR: dataDir, ...env });
}

async function crashWithBufferedRows(t: Test, durability: 'memory' | 'disk') {
  const db = await freshDatabase(t);
  const dataDir = mkdtempSync(join(tmpdir(), `bi-${durability}-`));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // Nothing is flushed before the crash: a long interval and a size trigger above what is sent.
  const env = { BUFFER_DURABILITY: durability, FLUSH_INTERVAL_MS: '600000', FLUSH_MAX_ROWS: '5000' };
  const first = start(t, db, dataDir, port, env);
  t.ok(await first.ready(base), 'started');
  for (let b = 0; b < 10; b++) {
    const body = JSON.stringify(Array.from({ length: 50 }, (_, i) => ({ url: `https://example.com/${b}/${i}` })));
    const res = await fetch(`${base}/collect`, { method: 'POST', body, headers: { 'user-agent': CHROME_UA } });
    t.equal(res.status, 204);
  }
  await first.stop('SIGKILL');
  const second = start(t, db, dataDir, port, { BUFFER_DURABILITY: durability, FLUSH_INTERVAL_MS: '200' });
  t.ok(await second.ready(base), 'restarted');
  // Whatever the restart recovers (WAL, spool) is in the writer before /ready answers: once the writer
  // holds nothing, it has all been written, and what is not in the table was lost.
  const held = async () => {
    const health = (await (await fetch(`${base}/health`)).json()) as { buffer: { rows: number }; spool: { rows: number } };
    return health.buffer.rows + health.spool.rows;
  };
  t.ok(await until(async () => (await held()) === 0, 20_000), 'the writer holds nothing after the restart');
  return { db, dataDir, second };
}

t.test('memory (default): kill -9 loses the rows still in the buffer', async (t) => {
  const { db } = await crashWithBufferedRows(t, 'memory');
  t.same(await stats(db), { rows: 0, distinct: 0 }, 'the 500 answered beacons were only in memory');
});

t.test('disk: kill -9 loses nothing that was answered; the WAL is replayed once', async (t) => {
  const { db, dataDir, second } = await crashWithBufferedRows(t, 'disk');
  t.ok(await until(async () => (await stats(db)).rows === 500, 20_000), 'replayed from the WAL');
  t.same(await stats(db), { rows: 500, distinct: 500 });
  t.match(second.output(), /write-ahead log from an unclean stop found/);
  // The replayed rows are written, so neither the spool nor the WAL keeps them.
  t.ok(await until(async () => readdirSync(join(dataDir, 'spool')).filter((f) => f.endsWith('.ndjson')).length === 0, 5000), 'spool emptied');
  t.same(readdirSync(join(dataDir, 'spool', 'wal')), [], 'WAL emptied');
  t.equal(await second.stop('SIGTERM'), 0);
});
