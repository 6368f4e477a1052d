import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createConnection } from 'mysql2/promise';
import Postgrator from 'postgrator';
import { mysqlPoolOptions } from './mysql-sink.js';

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations', 'mysql');
// Two instances starting together must not both apply 001: the second waits for the first's lock.
const LOCK_NAME = 'beacon_ingest_migrate';
const LOCK_TIMEOUT_S = 60;

export interface MigrationResult {
  applied: string[];
  version: number;
}

/** Applies pending migrations/mysql/*.sql under a GET_LOCK so concurrent starts migrate once. */
export async function migrateMysql(url: string): Promise<MigrationResult> {
  const options = mysqlPoolOptions(url, 1);
  const conn = await createConnection({ ...options, multipleStatements: true });
  try {
    await conn.query("SET time_zone = '+00:00'");
    const [lockRows] = await conn.query('SELECT GET_LOCK(?, ?) AS got', [LOCK_NAME, LOCK_TIMEOUT_S]);
    if ((lockRows as { got: number | null }[])[0]?.got !== 1) {
      throw new Error(`another process held the migration lock for ${LOCK_TIMEOUT_S}s; try again`);
    }
    try {
      const database = new URL(url).pathname.replace(/^\//, '');
      const postgrator = new Postgrator({
        migrationPattern: join(MIGRATIONS_DIR, '*.sql'),
        driver: 'mysql',
        database: decodeURIComponent(database),
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
