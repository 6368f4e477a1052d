import type { Sink } from './sink.js';

export interface StoreConnectionOptions {
  sink: Sink;
  /** MIGRATE=true: migrations to apply before the store counts as reached; they return what they applied. */
  migrate: (() => Promise<{ applied: string[] }>) | null;
  clock?: () => number;
  /** Retry delays while the store cannot be reached: exponential from the first, capped. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** An attempt failed (`attempt` counts from 1). */
  onFailure(err: unknown, attempt: number): void;
  /** The store answered (after migrating), `waitedMs` after the first attempt. */
  onReached(applied: string[], waitedMs: number): void;
}

/**
 * Reaching the store in the background, so the service starts and takes beacons whatever the
 * database's state (they wait in the buffer and spool, as during an outage). Each attempt applies
 * pending migrations (MIGRATE=true) and pings; the first that succeeds runs, in order, what was
 * waiting for the store (the salts, the session warm-up, the writer). After that, outages are the
 * writer's business: this only tells the start apart from the rest.
 */
export class StoreConnection {
  readonly #o: Required<Omit<StoreConnectionOptions, 'migrate'>> & Pick<StoreConnectionOptions, 'migrate'>;
  readonly #tasks: (() => Promise<void> | void)[] = [];
  #reached = false;
  #attempt = 0;
  #started = 0;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;
  #firstOutcome: Promise<void> | null = null;
  #settleFirst: () => void = () => {};

  constructor(options: StoreConnectionOptions) {
    this.#o = { clock: Date.now, retryBaseMs: 500, retryMaxMs: 10_000, ...options };
  }

  /** Whether the store has answered once since start. */
  get reached(): boolean {
    return this.#reached;
  }

  /** Starts trying; resolves after the first attempt's outcome or `waitMs`, whichever comes first. */
  start(waitMs: number): Promise<void> {
    if (this.#firstOutcome === null) {
      this.#started = this.#o.clock();
      this.#firstOutcome = new Promise<void>((resolve) => (this.#settleFirst = resolve));
      void this.#try();
    }
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs).unref()));
    return Promise.race([this.#firstOutcome, waited]).finally(() => clearTimeout(timer));
  }

  /** Runs `task` once the store is reached: now, if it already is. Tasks run one after another, in order. */
  whenReached(task: () => Promise<void> | void): void {
    if (this.#reached) void this.#run([task]);
    else this.#tasks.push(task);
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
  }

  async #try(): Promise<void> {
    if (this.#closed) return;
    this.#attempt++;
    try {
      const applied = this.#o.migrate === null ? [] : (await this.#o.migrate()).applied;
      await this.#o.sink.ping();
      this.#reached = true;
      this.#o.onReached(applied, this.#o.clock() - this.#started);
      this.#settleFirst();
      await this.#run(this.#tasks.splice(0));
    } catch (err) {
      this.#o.onFailure(err, this.#attempt);
      this.#settleFirst();
      if (this.#closed) return;
      const delay = Math.min(this.#o.retryMaxMs, this.#o.retryBaseMs * 2 ** (this.#attempt - 1));
      this.#timer = setTimeout(() => void this.#try(), delay).unref();
    }
  }

  async #run(tasks: (() => Promise<void> | void)[]): Promise<void> {
    // Each task reports its own failures; one failing must not keep the next from running.
    for (const task of tasks) await Promise.resolve().then(task).catch(() => {});
  }
}
