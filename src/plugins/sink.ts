import fp from 'fastify-plugin';
import type { Sink } from '../sinks/sink.js';
import { StoreConnection } from '../sinks/store-connection.js';

declare module 'fastify' {
  interface FastifyInstance {
    sink: Sink;
    /** Whether the store has been reached since start, and what waits for it. */
    store: StoreConnection;
  }
}

// Where migrate.ts, cluster.ts and tests have imported it from; its home is src/sinks.

// How long the start waits for the store's first answer before going on without it: a refused
// connection or a wrong password answers at once; an address that drops packets would take the
// driver's 5 s connect timeout, and the service must listen before that.
const START_WAIT_MS = 3000;
// While the store stays away after start, one reminder per this many attempts (about a minute apart).
const REMIND_EVERY_ATTEMPTS = 6;

/**
 * Opens the store and reaches it in the background (migrating it first when MIGRATE=true): the
 * service starts whether or not the database answers, and what needs it runs once it does.
 * Closes the store last. Nothing above it knows which store it is.
 */
export default fp(
  async (app) => {
    const { config, log } = app;
    const mysql = config.store === 'mysql';
    // Only the configured store's driver is loaded (mysql2 or better-sqlite3: ~0.1 s of CPU each at start).
    // The embedded file is always there to reach, and its statements are prepared on its tables.
    if (!mysql && config.migrate) {
      const { migrateSqlite } = await import('../sinks/sqlite-migrate.js');
      const { applied } = await migrateSqlite(config.sqlitePath);
      if (applied.length > 0) log.info({ applied }, 'migrations applied');
    }
    const migrateMysql = mysql && config.migrate ? (await import('../sinks/mysql-migrate.js')).migrateMysql : null;
    const sink: Sink = mysql
      ? new (await import('../sinks/mysql-sink.js')).MysqlSink({ url: config.databaseUrl, poolSize: config.dbPoolSize })
      : new (await import('../sinks/sqlite-sink.js')).SqliteSink(config.sqlitePath);
    const where = config.store === 'mysql' ? 'DATABASE_URL' : 'DATABASE_URL (SQLite file)';
    const store = new StoreConnection({
      sink,
      migrate: migrateMysql === null ? null : () => migrateMysql(config.databaseUrl),
      clock: config.clock,
      onFailure: (err, attempt) => {
        const message = (err as Error).message ?? String(err);
        if (attempt === 1) {
          log.error(
            { store: sink.description, err: message },
            `the store at ${where} cannot be reached (${message}): starting without it; beacons wait in the buffer and spool and are written once it answers`,
          );
        } else if (attempt % REMIND_EVERY_ATTEMPTS === 0) {
          log.warn({ store: sink.description, attempts: attempt, err: message }, `the store at ${where} still cannot be reached`);
        }
      },
      onReached: (applied, waitedMs) => {
        if (applied.length > 0) log.info({ applied }, 'migrations applied');
        const after = waitedMs >= 1000 ? ` after ${Math.round(waitedMs / 1000)} s` : '';
        log.info({ store: sink.description }, `store ready${after}: ${sink.description}`);
      },
    });
    app.decorate('sink', sink);
    app.decorate('store', store);
    await store.start(START_WAIT_MS);
    // Registered before the writer, so this runs after the writer's final flush.
    app.addHook('onClose', async () => {
      store.close();
      await sink.close();
    });
  },
  { name: 'sink', dependencies: ['config'] },
);
