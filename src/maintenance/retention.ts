import type { RetentionRepository } from '../sinks/sink.js';

const DAY_MS = 86_400_000;

export interface RetentionOptions {
  repo: RetentionRepository;
  days: number;
  clock: () => number;
  /** Rows per DELETE: small enough that no statement holds locks for long. */
  batchRows?: number;
  /** Pause between batches, so the writer's flushes get the database in between. */
  pauseMs?: number;
  onError?: (err: unknown) => void;
  onDone?: (deleted: { pageviews: number; sessions: number }) => void;
}

/** RETENTION_DAYS: once a day, deletes rows and sessions older than the limit, in small batches. */
export class RetentionJob {
  readonly #o: Required<RetentionOptions>;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<unknown> | null = null;
  #stopped = false;

  constructor(options: RetentionOptions) {
    this.#o = { batchRows: 5000, pauseMs: 50, onError: () => {}, onDone: () => {}, ...options };
  }

  /** Deletes everything older than the limit now; resolves with how many rows of each table. */
  async runOnce(): Promise<{ pageviews: number; sessions: number }> {
    const cutoff = this.#o.clock() - this.#o.days * DAY_MS;
    const deleted = { pageviews: 0, sessions: 0 };
    for (const table of ['pageviews', 'sessions'] as const) {
      for (;;) {
        if (this.#stopped) return deleted;
        const n = await this.#o.repo.deleteOlderThan(table, cutoff, this.#o.batchRows);
        deleted[table] += n;
        if (n < this.#o.batchRows) break;
        await new Promise((resolve) => setTimeout(resolve, this.#o.pauseMs));
      }
    }
    return deleted;
  }

  /** First run a minute after start, then every 24 hours. */
  start(firstDelayMs = 60_000): void {
    const run = (): void => {
      this.#running = this.runOnce().then(this.#o.onDone, this.#o.onError).finally(() => {
        this.#running = null;
        if (!this.#stopped) this.#timer = setTimeout(run, DAY_MS).unref();
      });
    };
    this.#timer = setTimeout(run, firstDelayMs).unref();
  }

  /** Stops scheduling and lets a run in progress end after its current batch. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running;
  }
}
