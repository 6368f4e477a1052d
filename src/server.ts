// Starts the service: config from the environment, build, listen, and own the signals.
// WORKERS>1: this process becomes the cluster's primary (src/cluster.ts) and each worker runs the rest.
import cluster from 'node:cluster';
import { setTimeout as sleep } from 'node:timers/promises';
import closeWithGrace from 'close-with-grace';
import pino from 'pino';
import { loggerOptions } from './logger.js';
import { clusterMetricsSource, runPrimary, WORKER_INDEX_VAR, workerConfig } from './cluster.js';
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

const loaded = configOrExit();
const clustered = loaded.config.workers > 1;

if (clustered && cluster.isPrimary) {
  const log = pino(loggerOptions(loaded.config) as pino.LoggerOptions).child({ role: 'primary' });
  for (const warning of loaded.warnings) log.warn(warning);
  try {
    await runPrimary(loaded.config, log);
  } catch (err) {
    process.stderr.write(`beacon-ingest: cannot start: ${(err as Error).message}\n`);
    process.exit(1);
  }
} else {
  await serve(clustered ? workerConfig(loaded.config, Number(process.env[WORKER_INDEX_VAR] ?? 1)) : loaded.config, clustered ? [] : loaded.warnings);
}

async function serve(config: Config, warnings: string[]): Promise<void> {
  // A worker takes its signals itself. The primary forwards SIGTERM and SIGINT, and systemd
  // (KillMode=control-group) or a terminal's Ctrl-C may signal the worker directly as well: the
  // first one starts the shutdown (once started up), the rest wait for it. close-with-grace would
  // exit at once, without draining, on a second signal.
  let stopRequested = false;
  let stop = () => {
    stopRequested = true;
  };
  if (clustered) {
    process.on('SIGTERM', () => stop());
    process.on('SIGINT', () => stop());
    // Before the app exists a SIGHUP (forwarded by the primary) must not kill the worker.
    process.on('SIGHUP', () => {});
    // The primary gone (killed, crashed): Node's cluster code would exit this worker at once,
    // dropping its buffer. Drain instead, as on SIGTERM.
    if (cluster.worker) cluster.worker.exitedAfterDisconnect = true;
    process.on('disconnect', () => stop());
  }
  // Loaded here, not at the top: a cluster's primary builds the app (Fastify, the pipeline, the
  // store's driver) only to replay a spool (src/cluster.ts), and loads it only then. Outside the try:
  // a module that fails to load stops the start with its own stack, as a static import did.
  const { buildApp } = await import('./app.js');
  let app;
  try {
    app = await buildApp(config, clustered ? { clusterMetrics: clusterMetricsSource } : {});
  } catch (err) {
    process.stderr.write(`beacon-ingest: cannot start: ${(err as Error).message}\n`);
    process.exit(1);
  }
  for (const warning of warnings) app.log.warn(warning);

  const started = app;
  // The whole sequence may take the delay plus the drain; past that (plus a margin) close-with-grace exits 1.
  const grace = closeWithGrace(
    {
      delay: config.shutdownDelayMs + config.shutdownTimeoutMs + 5000,
      logger: started.log,
      // SIGHUP is not a shutdown here: it reloads the GeoIP database (below).
      skip: clustered ? ['SIGHUP', 'SIGINT', 'SIGTERM'] : ['SIGHUP'],
    },
    async ({ signal, err, manual }) => {
      if (err) started.log.error({ err }, 'fatal error, shutting down');
      else started.log.info({ signal: signal ?? 'SIGTERM' }, 'shutting down');
      // /ready answers 503 from now on; beacons are still taken so a load balancer can stop sending.
      started.draining = true;
      if ((signal || manual) && config.shutdownDelayMs > 0) await sleep(config.shutdownDelayMs);
      await started.close();
      started.log.info('shut down');
    },
  );
  let stopping = false;
  stop = () => {
    if (stopping) return;
    stopping = true;
    void grace.close();
  };
  if (stopRequested) {
    stop();
    return;
  }

  // SIGHUP re-reads the GeoIP database (after a monthly update, say) without a restart.
  process.on('SIGHUP', () => void started.reloadGeoip());

  await started.listen({ port: config.port, host: config.host });
  if (started.admin !== null && config.adminPort !== null) {
    await started.admin.listen({ port: config.adminPort, host: config.adminHost });
  }
}
