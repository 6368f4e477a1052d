import fp from 'fastify-plugin';
import { migrateMysql } from '../sinks/mysql-migrate.js';
import { MysqlSink } from '../sinks/mysql-sink.js';
import type { Sink } from '../sinks/sink.js';

declare module 'fastify' {
  interface FastifyInstance {
    sink: Sink;
  }
}

/** Opens the store (migrating it first when MIGRATE=true) and closes it last. */
export default fp(
  async (app) => {
    const { config } = app;
    if (config.migrate) {
      const result = await migrateMysql(config.databaseUrl);
      if (result.applied.length > 0) app.log.info({ applied: result.applied }, 'migrations applied');
    }
    const sink = new MysqlSink({ url: config.databaseUrl, poolSize: config.dbPoolSize });
    try {
      await sink.ping();
    } catch (err) {
      await sink.close();
      throw err;
    }
    app.log.info({ store: sink.description }, 'store ready');
    app.decorate('sink', sink);
    // Registered before the writer, so this runs after the writer's final flush.
    app.addHook('onClose', async () => {
      await sink.close();
    });
  },
  { name: 'sink', dependencies: ['config'] },
);
