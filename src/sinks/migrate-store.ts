import type { Config } from '../config.js';
import { migrateMysql, type MigrationResult } from './mysql-migrate.js';
import { migrateSqlite } from './sqlite-migrate.js';

/** Applies pending migrations to the configured store (`npm run migrate`, the cluster primary, MIGRATE=true). */
export function migrateStore(config: Pick<Config, 'store' | 'databaseUrl' | 'sqlitePath'>): Promise<MigrationResult> {
  return config.store === 'mysql' ? migrateMysql(config.databaseUrl) : migrateSqlite(config.sqlitePath);
}
