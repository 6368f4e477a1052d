// Why ioredis, though its README calls its maintenance "best-effort" and points to node-redis
// (issue 15; measured 2026-11-27 with ioredis 5.11.1 and 6.0.0, redis 6.3.1, Redis 7.0): both send
// one EVALSHA per beacon, autopipelined; ioredis spends 12-13 us of CPU per call, node-redis 19-20
// (26-28 with a per-command timeout); and ioredis's commandTimeout also ends a command already sent
// to a hung Redis, which keeps a stalled Redis to one slow beacon (node-redis's `timeout` only
// covers commands not yet written: a paused Redis held one 634 ms). Costs accepted: commands in
// flight when the connection drops are abandoned and only commandTimeout rejects them (node-redis:
// at once), so the store refuses a client without one; with autopipelining a command issued while
// disconnected waits for the reconnect despite enableOfflineQueue: false, so the store checks the
// status first. Revisit if ioredis stops releasing (5.11.1 was June 2026, 6.0.0 July 2026).
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
