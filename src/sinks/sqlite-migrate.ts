import { join } from 'node:path';
import Postgrator from 'postgrator';
import type { MigrationResult } from './mysql-migrate.js';
import { openSqlite } from './sqlite-sink.js';
import { migrationsDir } from '../paths.js';

const MIGRATIONS_DIR = migrationsDir('sqlite');

/** Applies pending migrations/sqlite/*.sql; an exclusive transaction keeps two processes from both migrating. */
export async function migrateSqlite(path: string): Promise<MigrationResult> {
  const db = openSqlite(path);
  try {
    // BEGIN IMMEDIATE takes the write lock at once: a second process waits (busy_timeout), then finds nothing to do.
    db.exec('BEGIN IMMEDIATE');
    try {
      const postgrator = new Postgrator({
        migrationPattern: join(MIGRATIONS_DIR, '*.sql'),
        driver: 'sqlite3',
        schemaTable: 'schemaversion',
        execQuery: async (sql: string) => {
          const stmt = db.prepare(sql);
          if (stmt.reader) return { rows: stmt.all() as Record<string, unknown>[] };
          stmt.run();
          return { rows: [] };
        },
        execSqlScript: async (sql: string) => {
          db.exec(sql);
        },
      });
      const applied = await postgrator.migrate();
      const version = Number(await postgrator.getDatabaseVersion());
      db.exec('COMMIT');
      return { applied: applied.map((m) => `${m.version}.${m.action}.${m.name}`), version };
    } catch (err) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw err;
    }
  } finally {
    db.close();
  }
}
