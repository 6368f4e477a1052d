// What the cluster tests (test/e2e/cluster*.test.ts) share: the environment, a database behind a
// proxy the test can cut, one POST per connection, and the service's JSON log lines.
import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import type { RowDataPacket } from 'mysql2/promise';
import { CHROME_UA, TEST_SECRET } from './fixtures.js';
import { freshDatabase, type TestDatabase } from './db.js';
import { startTcpProxy } from './tcp-proxy.js';

/** The service's environment for a cluster test: nothing from this process but PATH. */
export function env(db: TestDatabase, port: number, dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    DATABASE_URL: db.url,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    HASH_SECRET: TEST_SECRET,
    ALLOWED_ORIGINS: '*',
    FLUSH_INTERVAL_MS: '60000',
    FLUSH_MAX_ROWS: '100000',
    BUFFER_CAPACITY: '100000',
    SHUTDOWN_TIMEOUT_MS: '5000',
    ...extra,
  };
}

/** A fresh database, a data directory, and a TCP proxy to the database that the test can cut. */
export async function databaseBehindProxy(t: Test) {
  const db = await freshDatabase(t);
  const proxy = await startTcpProxy();
  t.teardown(() => proxy.close());
  const via = new URL(db.url);
  via.port = String(proxy.port);
  return { db, dataDir: mkdtempSync(join(tmpdir(), 'bi-cluster-')), proxy, via };
}

export const count = async (db: TestDatabase) => Number((await db.query<RowDataPacket>('SELECT COUNT(*) AS n FROM pageviews'))[0]?.n);

/** One POST on a connection of its own (no keep-alive pool), so the primary hands each to a worker in turn. */
export function postBatch(base: string, from: number, n: number): Promise<{ status: number }> {
  const body = JSON.stringify(Array.from({ length: n }, (_, i) => ({ url: `https://example.com/p/${from + i}` })));
  return new Promise((resolve, reject) => {
    const req = request(`${base}/collect`, { method: 'POST', agent: false, headers: { 'content-type': 'text/plain', 'user-agent': CHROME_UA } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

export interface LogLine {
  msg?: string;
  written?: number;
  pid?: number;
  workerPid?: number;
}
export const logLines = (output: string): LogLine[] =>
  output.split('\n').flatMap((l) => {
    try {
      return [JSON.parse(l) as LogLine];
    } catch {
      return [];
    }
  });
