// A detail can carry what a sender chose (an Origin header of up to 16 KB): the logged example is cut.
const MAX_EXAMPLE_CHARS = 200;

/** One summary line: `count` beacons rejected for `reason` over `seconds`, with the first one's detail. */
export interface RejectionLine {
  reason: string;
  count: number;
  example: string;
  seconds: number;
}

export interface RejectionSummaryOptions {
  /** How long rejections are gathered before their line is reported. */
  intervalMs: number;
  /** Milliseconds, for the span each line covers. */
  clock: () => number;
  report: (line: RejectionLine) => void;
  /** Applied to the example only (URL_QUERY_STRIP), so its cost is once per line, not per beacon. */
  redact?: (detail: string) => string;
}

interface Pending {
  count: number;
  example: string;
  since: number;
}

/**
 * Rejections gathered per reason and reported as one line per reason per interval. A crawler or a
 * wrong ALLOWED_ORIGINS rejects thousands of beacons a minute: a line each buried every other
 * line and cost more than the rejection. The timer runs only while something is pending, so an
 * idle service wakes for nothing; close() reports what is left.
 */
export class RejectionSummary {
  readonly #o: Required<RejectionSummaryOptions>;
  // Reasons in the order first seen this interval; a Map keeps that order for the report.
  readonly #pending = new Map<string, Pending>();
  #timer: NodeJS.Timeout | null = null;
  #armed = false;
  #closed = false;

  constructor(options: RejectionSummaryOptions) {
    this.#o = { redact: (detail) => detail, ...options };
  }

  add(reason: string, count: number, detail: string): void {
    const pending = this.#pending.get(reason);
    if (pending !== undefined) {
      pending.count += count;
      return;
    }
    this.#pending.set(reason, { count, example: this.#o.redact(detail.slice(0, MAX_EXAMPLE_CHARS)), since: this.#o.clock() });
    // After close nothing would report it later: say it now.
    if (this.#closed) this.flush();
    else this.#arm();
  }

  /** Reports every reason seen since the last report, and starts a new interval. */
  flush(): void {
    if (this.#pending.size === 0) return;
    const now = this.#o.clock();
    for (const [reason, p] of this.#pending) {
      this.#o.report({ reason, count: p.count, example: p.example, seconds: (now - p.since) / 1000 });
    }
    this.#pending.clear();
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.flush();
  }

  #arm(): void {
    if (this.#armed) return;
    this.#armed = true;
    const fire = () => {
      this.#armed = false;
      this.flush();
    };
    if (this.#timer === null) this.#timer = setTimeout(fire, this.#o.intervalMs).unref();
    else this.#timer.refresh();
  }
}
