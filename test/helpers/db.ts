// A fresh database per test file, dropped at the end, in the store TEST_STORE names:
// `mysql` (default): MariaDB at 127.0.0.1:3306 as root (override with TEST_MYSQL_URL);
// `sqlite`: a file in a temporary directory.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from '../../src/sinks/sqlite-driver.js';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import { SESSION_SETUP } from '../../src/sinks/mysql-session.js';

export const SERVER = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
export const TEST_STORE: 'mysql' | 'sqlite' = process.env.TEST_STORE === 'sqlite' ? 'sqlite' : 'mysql';

export interface TestDatabase {
  /** DATABASE_URL for the service: mysql://… or sqlite:PATH. */
  url: string;
  name: string;
  store: 'mysql' | 'sqlite';
  /**
   * Runs a query on a connection of the test's own. Rows look alike from both stores: times as
   * Date, JSON columns parsed.
   */
  query<T = RowDataPacket>(sql: string, params?: unknown[]): Promise<T[]>;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

export async function freshDatabase(t: Teardown, store: 'mysql' | 'sqlite' = TEST_STORE): Promise<TestDatabase> {
  return store === 'sqlite' ? freshSqlite(t) : freshMysql(t);
}

async function freshMysql(t: Teardown): Promise<TestDatabase> {
  const name = `bi_test_${randomBytes(6).toString('hex')}`;
  const admin = await createConnection({ uri: SERVER });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  const url = `${SERVER}/${name}`;
  let conn: Connection | undefined;
  t.teardown(async () => {
    await conn?.end();
    await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.end();
  });
  return {
    url,
    name,
    store: 'mysql',
    async query<T>(sql: string, params: unknown[] = []) {
      if (conn === undefined) {
        conn = await createConnection({ uri: url, timezone: 'Z', dateStrings: false });
        // The service's own session (a test may change the server's global sql_mode meanwhile).
        await conn.query(SESSION_SETUP);
      }
      const [rows] = await conn.query(sql, params);
      return rows as T[];
    },
  };
}

const TIME_COLUMN = /(_timestamp|_at)$/;

async function freshSqlite(t: Teardown): Promise<TestDatabase> {
  // Loaded here: the MariaDB part's test processes need no better-sqlite3 (~0.1 s of CPU each).
  const { default: Sqlite } = await import('../../src/sinks/sqlite-driver.js');
  const dir = mkdtempSync(join(tmpdir(), 'bi-sqlite-'));
  const path = join(dir, 'analytics.db');
  let db: Database | undefined;
  t.teardown(() => {
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    url: `sqlite:${path}`,
    name: path,
    store: 'sqlite',
    async query<T>(sql: string, params: unknown[] = []) {
      db ??= new Sqlite(path);
      db.pragma('busy_timeout = 5000');
      const stmt = db.prepare(sql);
      if (!stmt.reader) {
        stmt.run(...params);
        return [];
      }
      return (stmt.all(...params) as Record<string, unknown>[]).map(normalize) as T[];
    },
  };
}

/** SQLite keeps times as ISO text and JSON as text: give them the shapes mysql2 returns. */
function normalize(row: Record<string, unknown>): Record<string, unknown> {
  for (const [key, value] of Object.entries(row)) {
    if (typeof value !== 'string') continue;
    if (TIME_COLUMN.test(key)) row[key] = new Date(value);
    else if (key === 'payload') row[key] = JSON.parse(value);
  }
  return row;
}
