import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import { migrateMysql, type MigrationResult } from '../sinks/mysql-migrate.js';
import { MysqlSink } from '../sinks/mysql-sink.js';
import type { Sink } from '../sinks/sink.js';
import { migrateSqlite } from '../sinks/sqlite-migrate.js';
import { SqliteSink } from '../sinks/sqlite-sink.js';

declare module 'fastify' {
  interface FastifyInstance {
    sink: Sink;
  }
}

/** Applies pending migrations to the configured store. */
export function migrateStore(config: Pick<Config, 'store' | 'databaseUrl' | 'sqlitePath'>): Promise<MigrationResult> {
  return config.store === 'mysql' ? migrateMysql(config.databaseUrl) : migrateSqlite(config.sqlitePath);
}

/** Opens the store (migrating it first when MIGRATE=true) and closes it last. Nothing above it knows which store it is. */
export default fp(
  async (app) => {
    const { config } = app;
    if (config.migrate) {
      const result = await migrateStore(config);
      if (result.applied.length > 0) app.log.info({ applied: result.applied }, 'migrations applied');
    }
    const sink: Sink =
      config.store === 'mysql' ? new MysqlSink({ url: config.databaseUrl, poolSize: config.dbPoolSize }) : new SqliteSink(config.sqlitePath);
    try {
      await sink.ping();
    } catch (err) {
      await sink.close();
      throw err;
    }
    app.log.info({ store: sink.description }, `store ready: ${sink.description}`);
    app.decorate('sink', sink);
    // Registered before the writer, so this runs after the writer's final flush.
    app.addHook('onClose', async () => {
      await sink.close();
    });
  },
  { name: 'sink', dependencies: ['config'] },
);
