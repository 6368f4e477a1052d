// Starts the service: config from the environment, build, listen, and own the signals.
import { setTimeout as sleep } from 'node:timers/promises';
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';

function configOrExit(): { config: Config; warnings: string[] } {
  try {
    return loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`beacon-ingest: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

const { config, warnings } = configOrExit();
let app;
try {
  app = await buildApp(config);
} catch (err) {
  process.stderr.write(`beacon-ingest: cannot start: ${(err as Error).message}\n`);
  process.exit(1);
}
for (const warning of warnings) app.log.warn(warning);

const started = app;
// The whole sequence may take the delay plus the drain; past that (plus a margin) close-with-grace exits 1.
closeWithGrace(
  // SIGHUP is not a shutdown here: it reloads the GeoIP database (below).
  { delay: config.shutdownDelayMs + config.shutdownTimeoutMs + 5000, logger: started.log, skip: ['SIGHUP'] },
  async ({ signal, err }) => {
    if (err) started.log.error({ err }, 'fatal error, shutting down');
    else started.log.info({ signal }, 'shutting down');
    // /ready answers 503 from now on; beacons are still taken so a load balancer can stop sending.
    started.draining = true;
    if (signal && config.shutdownDelayMs > 0) await sleep(config.shutdownDelayMs);
    await started.close();
    started.log.info('shut down');
  },
);

// SIGHUP re-reads the GeoIP database (after a monthly update, say) without a restart.
process.on('SIGHUP', () => void started.reloadGeoip());

await started.listen({ port: config.port, host: config.host });
if (started.admin !== null && config.adminPort !== null) {
  await started.admin.listen({ port: config.adminPort, host: config.host });
}
