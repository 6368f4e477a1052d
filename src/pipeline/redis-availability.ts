import type { Redis } from 'ioredis';

/** Redis could not assign this beacon (down, slow, refused the script); the fallback did. */
export class SessionStoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SessionStoreUnavailableError';
  }
}

// After a failed command the store answers from the fallback for this long before trying again,
// so a Redis that times out costs one beacon commandTimeout, not every beacon.
const SUSPEND_MS = 1_000;

/**
 * Whether the session store should try Redis now: the client is connected and no command failed
 * in the last second. Also the error to report for a beacon answered without trying.
 */
export class RedisAvailability {
  readonly #redis: Pick<Redis, 'status'>;
  readonly #now: () => number;
  readonly #notReady = new Map<string, SessionStoreUnavailableError>();
  // #now() until which Redis is not tried, after a failed command; 0 when not suspended.
  #suspendedUntil = 0;
  #suspendedBy: SessionStoreUnavailableError | null = null;

  /** `now`: a monotonic clock in ms (performance.now), injectable for tests. */
  constructor(redis: Pick<Redis, 'status'>, now: () => number = () => performance.now()) {
    this.#redis = redis;
    this.#now = now;
  }

  usable(): boolean {
    if (this.#redis.status !== 'ready') return false;
    if (this.#suspendedUntil === 0) return true;
    if (this.#now() < this.#suspendedUntil) return false;
    this.#suspendedUntil = 0;
    return true;
  }

  /** A command failed: Redis is not tried for a second. Returns the error that says so. */
  failed(err: unknown): SessionStoreUnavailableError {
    const error = new SessionStoreUnavailableError(`Redis session store failed: ${(err as Error).message}`, { cause: err });
    this.#suspendedUntil = this.#now() + SUSPEND_MS;
    this.#suspendedBy = error;
    return error;
  }

  /** The client (re)connected: try Redis again at once. */
  resume(): void {
    this.#suspendedUntil = 0;
  }

  // One error per client status, made once: an outage must not cost a stack trace per beacon.
  unavailable(): SessionStoreUnavailableError {
    const status = this.#redis.status;
    if (status === 'ready' && this.#suspendedBy !== null) return this.#suspendedBy;
    let error = this.#notReady.get(status);
    if (error === undefined) {
      error = new SessionStoreUnavailableError(`Redis session store not ready (${status})`);
      this.#notReady.set(status, error);
    }
    return error;
  }
}
