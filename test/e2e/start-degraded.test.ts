// A start while the database cannot be reached (a deploy or a reboot during an outage): the service
// listens and answers 204 within seconds, keeps what it is sent, and once the database appears it
// creates the tables and writes every beacon sent meanwhile.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { RowDataPacket } from 'mysql2/promise';
import { CHROME_UA, TEST_SECRET } from '../helpers/fixtures.js';
import { freshDatabase } from '../helpers/db.js';
import { freePort, startService, until } from '../helpers/process.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';

t.test('database unreachable at start: 204 within 5 s, every beacon stored once it appears', async (t) => {
  const db = await freshDatabase(t);
  await db.query(`DROP DATABASE \`${db.name}\``); // nothing yet: not even the database
  const proxy = await startTcpProxy();
  t.teardown(() => proxy.close());
  proxy.cut();
  const url = new URL(db.url);
  url.port = String(proxy.port);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const started = Date.now();
  const service = startService(t, {
    ...process.env, DATABASE_URL: url.toString(), PORT: String(port), HOST: '127.0.0.1', HASH_SECRET: TEST_SECRET,
    DATA_DIR: mkdtempSync(join(tmpdir(), 'bi-degraded-')), FLUSH_INTERVAL_MS: '200',
  });
  let sent = 0;
  const send = async (n: number) => {
    const body = JSON.stringify(Array.from({ length: n }, (_, i) => ({ url: `https://example.com/${sent + i}` })));
    const res = await fetch(`${base}/collect`, { method: 'POST', body, headers: { 'user-agent': CHROME_UA, 'content-type': 'text/plain' } }).catch(() => null);
    if (res?.status === 204) sent += n;
    return res?.status;
  };
  t.ok(await until(async () => (await send(1)) === 204, 30_000, 50), 'a beacon answered 204');
  // Counted from the process's first log line: on a busy machine, loading the process (Node and
  // its modules) takes seconds of its own that say nothing about the start-up under test.
  const firstLine = JSON.parse(service.output().split('\n')[0] ?? '{}') as { time?: number };
  const afterStart = Date.now() - (firstLine.time ?? started);
  t.ok(afterStart < 5000, `first 204 ${afterStart} ms after the process began its start`);
  for (let b = 0; b < 20; b++) t.equal(await send(50), 204);
  t.equal((await fetch(`${base}/ready`)).status, 200, 'ready: taking beacons');

  proxy.heal();
  const stored = async () => {
    try {
      const [r] = await db.query<RowDataPacket>(`SELECT COUNT(*) AS n, COUNT(DISTINCT beacon_id) AS d FROM \`${db.name}\`.pageviews`);
      return { rows: Number(r?.n), distinct: Number(r?.d) };
    } catch {
      return { rows: -1, distinct: -1 }; // no table yet
    }
  };
  t.ok(await until(async () => (await stored()).rows === sent, 30_000, 200), 'every beacon sent meanwhile is stored');
  t.same(await stored(), { rows: sent, distinct: sent }, 'each once');
  const [tables] = await db.query<RowDataPacket>(`SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?`, [db.name]);
  t.ok(Number(tables?.n) >= 3, 'migrations ran once the database answered');
  const out = service.output();
  t.equal(out.split('cannot be reached').length - 1, 1, 'the outage at start is said once');
  t.match(out, /DATABASE_URL/, 'and names the variable');
  t.match(out, /store ready/);
  t.equal(await service.stop('SIGTERM'), 0);
});
