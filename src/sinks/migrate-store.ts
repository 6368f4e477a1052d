import type { Config } from '../config.js';
import type { MigrationResult } from './mysql-migrate.js';

/** Applies pending migrations to the configured store (`npm run migrate`, the cluster primary, MIGRATE=true). */
// Each store's driver is loaded only when it is the configured one (mysql2 or better-sqlite3: ~0.1 s of CPU each).
export async function migrateStore(config: Pick<Config, 'store' | 'databaseUrl' | 'sqlitePath'>): Promise<MigrationResult> {
  if (config.store === 'mysql') return (await import('./mysql-migrate.js')).migrateMysql(config.databaseUrl);
  return (await import('./sqlite-migrate.js')).migrateSqlite(config.sqlitePath);
}
