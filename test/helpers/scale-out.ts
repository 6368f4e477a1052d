// What the scale-out tests (test/e2e/scale-out*.test.ts) share: a service process with sessions in
// Redis, a site of its own per test, and one visitor's beacons.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import type { RowDataPacket } from 'mysql2/promise';
import { CHROME_UA, TEST_SECRET } from './fixtures.js';
import type { TestDatabase } from './db.js';
import { freePort, startService, type RunningService } from './process.js';

export const REDIS = 'redis://127.0.0.1:6379';

/** A service process on `db` with sessions in `redisUrl`, once ready. */
export async function start(t: Test, db: TestDatabase, redisUrl: string, extra: Record<string, string> = {}): Promise<{ base: string; service: RunningService }> {
  const port = await freePort();
  const service = startService(t, {
    PATH: process.env.PATH,
    DATABASE_URL: db.url,
    REDIS_URL: redisUrl,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: mkdtempSync(join(tmpdir(), 'bi-scale-')),
    HASH_SECRET: TEST_SECRET,
    ALLOWED_ORIGINS: '*',
    FLUSH_INTERVAL_MS: '200',
    ...extra,
  });
  const base = `http://127.0.0.1:${port}`;
  if (!(await service.ready(base, 30_000))) throw new Error(`not ready:\n${service.output()}`);
  return { base, service };
}

// Each test its own site: Redis keys are namespaced by site, so tests do not meet in Redis.
export const site = () => `https://s${randomBytes(4).toString('hex')}.example.com`;

/** One beacon from the one visitor of these tests (same address and agent), on a new connection. */
export async function send(base: string, url: string, type = 'pageview'): Promise<void> {
  const res = await fetch(`${base}/collect`, {
    method: 'POST',
    body: JSON.stringify({ url, type, ...(type === 'event' ? { name: 'click_cta' } : {}) }),
    // One visitor: same address (127.0.0.1), same agent; a new connection each time, as a load balancer may route it.
    headers: { 'content-type': 'text/plain', 'user-agent': CHROME_UA, connection: 'close' },
  });
  if (res.status !== 204) throw new Error(`status ${res.status}`);
}

export const rows = (db: TestDatabase) => db.query<RowDataPacket>('SELECT url, type, session_id FROM pageviews ORDER BY id');
export const sessions = (db: TestDatabase) => db.query<RowDataPacket>('SELECT * FROM sessions ORDER BY started_at');
