/** The line for an outage that has just ended. */
export interface RecoveryLine {
  /** From the first failed flush to the first successful one. */
  awaySeconds: number;
  failedFlushes: number;
  /** Rows the first successful flush wrote. */
  rows: number;
  /** Rows still buffered or spooled at that moment: the rest of the backlog, written next. */
  waiting: number;
}

export interface DatabaseRecoveryOptions {
  /** Milliseconds. */
  clock: () => number;
  waiting: () => number;
  report: (line: RecoveryLine) => void;
}

/**
 * Turns the writer's flush results into one line when the database comes back. Each failed flush
 * is logged as it happens; without this an operator reading the log after an outage could not
 * tell whether, when and how far it had ended.
 */
export class DatabaseRecovery {
  readonly #o: DatabaseRecoveryOptions;
  #since: number | null = null;
  #failures = 0;

  constructor(options: DatabaseRecoveryOptions) {
    this.#o = options;
  }

  /** True from a failed flush until the next successful one. */
  get away(): boolean {
    return this.#since !== null;
  }

  failed(): void {
    this.#since ??= this.#o.clock();
    this.#failures++;
  }

  flushed(rows: number): void {
    if (this.#since === null) return;
    const awaySeconds = (this.#o.clock() - this.#since) / 1000;
    const failedFlushes = this.#failures;
    this.#since = null;
    this.#failures = 0;
    this.#o.report({ awaySeconds, failedFlushes, rows, waiting: this.#o.waiting() });
  }
}
