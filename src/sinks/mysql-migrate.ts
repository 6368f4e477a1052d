import { join } from 'node:path';
import { createConnection, type Connection } from 'mysql2/promise';
import Postgrator from 'postgrator';
import { mysqlPoolOptions, SESSION_SETUP } from './mysql-session.js';
import { migrationsDir } from '../paths.js';

const MIGRATIONS_DIR = migrationsDir('mysql');
// Two instances starting together must not both apply 001: the second waits for the first's lock.
const LOCK_NAME = 'beacon_ingest_migrate';
const LOCK_TIMEOUT_S = 60;

export interface MigrationResult {
  applied: string[];
  version: number;
}

/** Applies pending migrations/mysql/*.sql under a GET_LOCK so concurrent starts migrate once. */
export async function migrateMysql(url: string): Promise<MigrationResult> {
  const conn = await connectCreatingDatabase(url);
  try {
    // The migration files' text is read under our session mode, not the server's.
    await conn.query(SESSION_SETUP);
    const [lockRows] = await conn.query('SELECT GET_LOCK(?, ?) AS got', [LOCK_NAME, LOCK_TIMEOUT_S]);
    if ((lockRows as { got: number | null }[])[0]?.got !== 1) {
      throw new Error(`another process held the migration lock for ${LOCK_TIMEOUT_S}s; try again`);
    }
    try {
      const postgrator = new Postgrator({
        migrationPattern: join(MIGRATIONS_DIR, '*.sql'),
        driver: 'mysql',
        database: databaseName(url),
        schemaTable: 'schemaversion',
        execQuery: async (sql: string) => {
          const [rows] = await conn.query(sql);
          return { rows: Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [] };
        },
      });
      const applied = await postgrator.migrate();
      return {
        applied: applied.map((m) => `${m.version}.${m.action}.${m.name}`),
        version: Number(await postgrator.getDatabaseVersion()),
      };
    } finally {
      await conn.query('SELECT RELEASE_LOCK(?)', [LOCK_NAME]);
    }
  } finally {
    await conn.end();
  }
}

function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
}

/** Connects to the database, creating it first if it does not exist (and the user may create it). */
async function connectCreatingDatabase(url: string): Promise<Connection> {
  const options = { ...mysqlPoolOptions(url, 1), multipleStatements: true };
  try {
    return await createConnection(options);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ER_BAD_DB_ERROR') throw err;
  }
  const server = new URL(url);
  server.pathname = '/';
  const admin = await createConnection({ ...mysqlPoolOptions(server.toString(), 1) });
  try {
    await admin.query('CREATE DATABASE IF NOT EXISTS ?? CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci', [databaseName(url)]);
  } finally {
    await admin.end();
  }
  return createConnection(options);
}
