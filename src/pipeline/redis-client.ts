// Why ioredis and not node-redis (`redis`), though ioredis's README calls its maintenance
// "best-effort": measured on this machine (docs in the report of issue 15, redis-cmp), both send
// one EVALSHA per beacon, and what this store depends on is built in here and not there:
// commands fail at once while disconnected and are not resent after a reconnect (no double count),
// a per-command timeout, automatic pipelining of concurrent beacons, and EVALSHA with NOSCRIPT
// retried as EVAL (defineCommand). Revisit if ioredis stops shipping fixes for Redis releases.
import { Redis, type RedisOptions } from 'ioredis';

/**
 * The client options the session store is built for. Every one of them keeps a slow or absent Redis
 * from turning into slow requests: the collector awaits each beacon's session in turn, so a wait
 * here is paid per item of a batch.
 */
export const REDIS_CLIENT_OPTIONS = {
  lazyConnect: false,
  // Commands issued in the same tick (concurrent requests) leave in one write.
  enableAutoPipelining: true,
  // While disconnected a command fails at once (the store falls back) instead of queueing.
  enableOfflineQueue: false,
  // A hung Redis costs one beacon this long; the store then stops trying for a second.
  commandTimeout: 250,
  // A command whose reply was lost with the connection has already been answered from the fallback:
  // resending it after the reconnect would count that beacon twice.
  autoResendUnfulfilledCommands: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 2_000,
  // 100 ms, 200, 400 ... capped at 2 s: an outage's end is noticed within 2 s.
  retryStrategy: (times: number) => Math.min(50 * 2 ** times, 2_000),
} satisfies RedisOptions;

/** A client with the options above (`overrides` for tests or TLS settings). */
export function createRedisClient(url: string, overrides: RedisOptions = {}): Redis {
  return new Redis(url, { ...REDIS_CLIENT_OPTIONS, ...overrides });
}
