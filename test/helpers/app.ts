import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp, type BuildOptions } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { freshDatabase, type TestDatabase } from './db.js';
import { TEST_SECRET } from './fixtures.js';

// The in-process tests take these from here with the app helpers.
export { CHROME_UA, FIREFOX_UA, SAFARI_IOS_UA, TEST_SECRET, metricValue } from './fixtures.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** A config as the environment would give it, for a test database; `env` overrides variables. */
export function testConfig(databaseUrl: string, env: Record<string, string> = {}): Config {
  return loadConfig({
    DATABASE_URL: databaseUrl,
    // Spool and dead letters of each test app in a directory of its own.
    DATA_DIR: mkdtempSync(join(tmpdir(), 'bi-data-')),
    HASH_SECRET: TEST_SECRET,
    LOG_LEVEL: 'silent',
    // Long interval: tests flush explicitly or through the size trigger unless they test the timer.
    FLUSH_INTERVAL_MS: '60000',
    // The default (200,000) makes lru-cache fill two 200,000-slot arrays per app, ~50 ms of CPU each
    // build; no test holds this many visitors unless it says so.
    SESSION_STORE_MAX: '10000',
    ...env,
  }).config;
}

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface TestApp {
  app: FastifyInstance;
  db: TestDatabase;
  logs: LogLine[];
  config: Config;
  /** Writes every buffered row now. */
  flush(): Promise<void>;
}

/** Builds the service on a fresh database; closed and dropped at the end of the test. */
export async function buildTestApp(
  t: Teardown,
  env: Record<string, string> = {},
  adjust: (config: Config) => void = () => {},
  db?: TestDatabase,
  build: Omit<BuildOptions, 'logger'> = {},
): Promise<TestApp> {
  db ??= await freshDatabase(t);
  const config = testConfig(db.url, env);
  adjust(config);
  const logs: LogLine[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line));
      cb();
    },
  });
  const app = await buildApp(config, { ...build, logger: pino({ level: env.LOG_LEVEL ?? 'info' }, stream) });
  t.teardown(() => app.close());
  await app.ready();
  return {
    app,
    db,
    logs,
    config,
    async flush() {
      const { left } = await app.writer.drain(10_000);
      if (left > 0) throw new Error(`${left} rows not written`);
    },
  };
}
