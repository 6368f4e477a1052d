// `npm run migrate`: applies pending migrations to the configured store and exits.
import { ConfigError, loadConfig } from './config.js';
import { migrateStore } from './sinks/migrate-store.js';

try {
  const { config } = loadConfig(process.env);
  const result = await migrateStore(config);
  process.stdout.write(
    result.applied.length > 0
      ? `applied ${result.applied.join(', ')}; schema version ${result.version}\n`
      : `up to date; schema version ${result.version}\n`,
  );
} catch (err) {
  process.stderr.write(`beacon-ingest migrate: ${err instanceof ConfigError ? err.message : (err as Error).message}\n`);
  process.exit(1);
}
