// A bare Fastify instance for testing one plugin with only what it depends on (STYLE.md §11).
import { Writable } from 'node:stream';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import pino from 'pino';
import type { Config } from '../../src/config.js';
import configPlugin from '../../src/plugins/config.js';
import type { LogLine } from '../helpers/app.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** Refuses connections at once: a store that is away. */
export const UNREACHABLE_DATABASE = 'mysql://root@127.0.0.1:1/away';

export interface BareApp {
  app: FastifyInstance;
  /** Every line logged at `level` and above, parsed. */
  logs: LogLine[];
}

/** Fastify() with the config plugin, then `plugins` in order; closed at the end of the test. */
export async function bareApp(t: Teardown, config: Config, plugins: FastifyPluginAsync[], level = 'info'): Promise<BareApp> {
  const logs: LogLine[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line));
      cb();
    },
  });
  const app = Fastify({ loggerInstance: pino({ level }, stream) as FastifyBaseLogger });
  t.teardown(() => app.close());
  await app.register(configPlugin, { config });
  for (const plugin of plugins) await app.register(plugin);
  return { app, logs };
}
