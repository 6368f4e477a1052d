// WORKERS>1: one primary process and N workers sharing the port (node:cluster). The primary
// migrates, replays every spool left by an earlier run, forks, restarts crashed workers, answers
// the workers' /metrics with the sum of all of them, and on SIGTERM/SIGINT drains them all.
import cluster, { type Worker } from 'node:cluster';
import type { FastifyBaseLogger } from 'fastify';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { holdsSpooledRows, workerSpoolDir } from './buffer/spool-layout.js';
import type { Config } from './config.js';
import { migrateStore } from './sinks/migrate-store.js';

/** The variable that tells a forked worker its index (its spool directory is `worker-INDEX`). */
export const WORKER_INDEX_VAR = 'BEACON_WORKER_INDEX';
// A worker asks the primary for the cluster's /metrics; the primary collects each worker's registry.
const METRICS_REQUEST = 'beacon-ingest:metrics';
const METRICS_REPLY = 'beacon-ingest:metrics-reply';
const COLLECT_REQUEST = 'beacon-ingest:collect';
const COLLECT_REPLY = 'beacon-ingest:collected';
const COLLECT_TIMEOUT_MS = 5000;

type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/**
 * The sum of every worker's metrics. Counters and histograms of workers that exited are kept (as
 * last collected) and added in: a worker that restarts starts from zero, and without them the
 * sum would drop, which Prometheus reads as a counter reset (a false spike in rate()).
 */
class ClusterMetrics {
  readonly #last = new Map<number, MetricsJson>();
  #retired: MetricsJson = [];
  #next = 0;
  readonly #pending = new Map<number, (metrics: MetricsJson | null) => void>();

  /** A worker's reply to a collection request. */
  onReply(msg: { id?: number; metrics?: MetricsJson }): void {
    if (msg.id === undefined) return;
    this.#pending.get(msg.id)?.(msg.metrics ?? null);
    this.#pending.delete(msg.id);
  }

  /** A worker exited: what it counted stays in the sum. */
  async retire(index: number): Promise<void> {
    const last = this.#last.get(index);
    this.#last.delete(index);
    if (last === undefined) return;
    const monotonic = last.filter((m) => ['counter', 'histogram'].includes(String(m.type)));
    this.#retired = await AggregatorRegistry.aggregate([this.#retired, monotonic]).getMetricsAsJSON();
  }

  async collect(workers: ReadonlyMap<number, Worker>): Promise<{ text: string; contentType: string }> {
    await Promise.all(
      [...workers].map(async ([index, worker]) => {
        const metrics = await this.#ask(worker);
        // A worker that does not answer in time counts with what it said last.
        if (metrics !== null) this.#last.set(index, metrics);
      }),
    );
    const registry = AggregatorRegistry.aggregate([...this.#last.values(), this.#retired]);
    return { text: await registry.metrics(), contentType: registry.contentType };
  }

  #ask(worker: Worker): Promise<MetricsJson | null> {
    if (!worker.isConnected()) return Promise.resolve(null);
    const id = ++this.#next;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        resolve(null);
      }, COLLECT_TIMEOUT_MS);
      this.#pending.set(id, (metrics) => {
        clearTimeout(timer);
        resolve(metrics);
      });
      worker.send({ type: COLLECT_REQUEST, id });
    });
  }
}
const RESTART_MIN_MS = 1000;
const RESTART_MAX_MS = 30_000;

/**
 * A worker's config: its own spool. Workers migrate too (MIGRATE=true), under the migration lock:
 * nothing to do when the primary did it, and the way it happens when the database was away then.
 */
export function workerConfig(config: Config, index: number): Config {
  return { ...config, spoolDir: workerSpoolDir(config.spoolDir, index) };
}

/**
 * Writes every spool an earlier run left (the single-process one and each worker's, which the
 * writer takes over) into the database before any worker takes traffic, so sessions are warmed
 * from a complete table and a worker index no longer in use leaves nothing stranded. It goes
 * through the service's own start and shutdown: replayed at start, drained at close (within
 * SHUTDOWN_TIMEOUT_MS, repeated while that makes progress), and what the database does not take
 * stays spooled for the next start.
 */
async function replaySpools(config: Config, log: FastifyBaseLogger): Promise<void> {
  while (await holdsSpooledRows(config.spoolDir)) {
    log.info({ dir: config.spoolDir }, 'replaying a spool before forking the workers');
    // Loaded only for a replay: the primary otherwise never loads the app.
    const { buildApp } = await import('./app.js');
    const app = await buildApp({ ...config, migrate: false, redisUrl: null, adminPort: null, retentionDays: null }, { logger: log });
    await app.ready();
    await app.close();
    if (app.writer.written === 0) {
      log.warn({ dir: config.spoolDir }, 'the database took none of the spooled rows; they stay spooled for the next start');
      return;
    }
  }
}

/** Runs the primary until every worker has exited after a shutdown signal. */
export async function runPrimary(config: Config, log: FastifyBaseLogger): Promise<void> {
  // Not a reason to die while migrating or replaying; forwarded to the workers once they run.
  process.on('SIGHUP', () => {});
  if (config.migrate) {
    try {
      const result = await migrateStore(config);
      if (result.applied.length > 0) log.info({ applied: result.applied }, 'migrations applied');
    } catch (err) {
      // Not a reason to stay down: the workers start without the database and migrate once it answers.
      log.error({ err: (err as Error).message }, 'migrations: the store at DATABASE_URL cannot be reached; the workers apply them once it answers');
    }
  }
  await replaySpools(config, log);

  const metrics = new ClusterMetrics();
  const byIndex = new Map<number, Worker>();
  const failures = new Map<number, number>();
  let stopping = false;
  let failed = false;

  const fork = (index: number) => {
    const worker = cluster.fork({ [WORKER_INDEX_VAR]: String(index) });
    byIndex.set(index, worker);
    const startedAt = Date.now();
    // A send to a worker that has just died fails with an 'error' event: without a listener it would
    // kill the primary, and with it (IPC gone) every worker.
    worker.on('error', (err) => log.warn({ worker: index, err: err.message }, 'worker IPC error'));
    const reply = (message: object) => {
      if (worker.isConnected()) worker.send(message);
    };
    worker.on('message', (msg: { type?: string; id?: number; metrics?: MetricsJson }) => {
      if (msg?.type === COLLECT_REPLY) metrics.onReply(msg);
      if (msg?.type !== METRICS_REQUEST) return;
      metrics.collect(byIndex).then(
        ({ text, contentType }) => reply({ type: METRICS_REPLY, id: msg.id, text, contentType }),
        (err: Error) => reply({ type: METRICS_REPLY, id: msg.id, error: err.message }),
      );
    });
    worker.on('listening', () => {
      log.info({ worker: index, workerPid: worker.process.pid }, 'worker listening');
    });
    worker.on('exit', (code, signal) => {
      byIndex.delete(index);
      void metrics.retire(index);
      if (stopping) {
        if (code !== 0) failed = true;
        return;
      }
      // A worker that ran a while and then died starts again at once; a crash loop backs off.
      const n = Date.now() - startedAt > RESTART_MAX_MS ? 0 : (failures.get(index) ?? 0) + 1;
      failures.set(index, n);
      const delay = Math.min(RESTART_MAX_MS, RESTART_MIN_MS * 2 ** Math.max(0, n - 1));
      log.error({ worker: index, code, signal, restartInMs: delay }, 'worker exited; restarting it');
      setTimeout(() => !stopping && fork(index), delay).unref();
    });
  };
  for (let i = 1; i <= config.workers; i++) fork(i);
  log.info({ workers: config.workers, port: config.port }, 'primary started its workers');

  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal, workers: byIndex.size }, 'shutting down the workers');
      // Each worker runs its own graceful shutdown (delay, drain, spool) on SIGTERM.
      for (const worker of byIndex.values()) worker.process.kill('SIGTERM');
      const deadline = setTimeout(() => {
        log.error('workers did not stop in time; killing them (their spool keeps what they had written to it)');
        for (const worker of byIndex.values()) worker.process.kill('SIGKILL');
        failed = true;
      }, config.shutdownDelayMs + config.shutdownTimeoutMs + 10_000);
      const check = setInterval(() => {
        if (byIndex.size > 0) return;
        clearInterval(check);
        clearTimeout(deadline);
        resolve();
      }, 50);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    // SIGHUP reloads the GeoIP database in every worker.
    process.on('SIGHUP', () => {
      for (const worker of byIndex.values()) worker.process.kill('SIGHUP');
    });
  });
  log.info('all workers stopped');
  process.exitCode = failed ? 1 : 0;
}

/** In a worker: answers the primary's collection requests, and asks it for every worker's sum. */
export function clusterMetricsSource(registry: Registry): () => Promise<{ text: string; contentType: string }> {
  let next = 0;
  const pending = new Map<number, (reply: { text?: string; contentType?: string; error?: string }) => void>();
  process.on('message', (msg: { type?: string; id?: number; text?: string; contentType?: string; error?: string }) => {
    if (msg?.type === COLLECT_REQUEST) {
      registry.getMetricsAsJSON().then(
        (metrics) => process.send?.({ type: COLLECT_REPLY, id: msg.id, metrics }),
        () => process.send?.({ type: COLLECT_REPLY, id: msg.id }),
      );
      return;
    }
    if (msg?.type !== METRICS_REPLY || msg.id === undefined) return;
    pending.get(msg.id)?.(msg);
    pending.delete(msg.id);
  });
  return () =>
    new Promise((resolve, reject) => {
      const id = ++next;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error('the primary did not answer with the cluster metrics in time'));
      }, 10_000);
      pending.set(id, (reply) => {
        clearTimeout(timer);
        if (reply.error !== undefined || reply.text === undefined) reject(new Error(reply.error ?? 'no metrics'));
        else resolve({ text: reply.text, contentType: reply.contentType ?? 'text/plain' });
      });
      process.send?.({ type: METRICS_REQUEST, id });
    });
}
