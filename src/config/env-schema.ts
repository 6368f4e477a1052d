import { Type, type Static } from '@sinclair/typebox';

const LogLevel = Type.Union(
  ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
);

// Query parameters that commonly carry secrets or personal data (reset tokens, emails, API keys).
export const DEFAULT_QUERY_STRIP = 'token,password,passwd,secret,key,api_key,auth,code,email,session,sid';

/** The environment variables this build reads (README, "Configuration"). */
export const EnvSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3006 }),
  HOST: Type.String({ minLength: 1, default: '0.0.0.0' }),
  DATABASE_URL: Type.Optional(Type.String({ minLength: 1 })),
  // The password as it is, outside the URL: no percent-encoding to get wrong (compose passes DB_PASSWORD here).
  DATABASE_PASSWORD: Type.Optional(Type.String({ minLength: 1 })),
  DB_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 256, default: 4 }),
  DATA_DIR: Type.String({ minLength: 1, default: './data' }),
  MIGRATE: Type.Boolean({ default: true }),
  ALLOWED_ORIGINS: Type.Optional(Type.String({ minLength: 1 })),
  REQUIRE_ORIGIN: Type.Boolean({ default: false }),
  TRUST_PROXY: Type.String({ minLength: 1, default: 'false' }),
  CDN_COUNTRY_HEADER: Type.Optional(Type.String({ minLength: 1 })),
  // 16 characters at least: the secret is what keeps the hashes of ~4 billion IPv4 addresses
  // from being recomputed by whoever reads the salts table.
  HASH_SECRET: Type.Optional(Type.String({ minLength: 16 })),
  FLUSH_INTERVAL_MS: Type.Integer({ minimum: 10, maximum: 3_600_000, default: 5000 }),
  FLUSH_MAX_ROWS: Type.Integer({ minimum: 1, maximum: 100_000, default: 100 }),
  // 2^24 rows is already gigabytes of heap; larger values are a typo, not a plan.
  BUFFER_CAPACITY: Type.Integer({ minimum: 1, maximum: 16_777_216, default: 100_000 }),
  // 48 MiB of rows (estimated heap): with the database away under large beacons the service then
  // peaks under 300 MB RSS (bench/memory.ts), inside a 512 MB container with room for V8's garbage.
  // At least 1 MiB: the largest row is ~22 KB; below that nearly every row would go to the spool.
  BUFFER_MAX_BYTES: Type.Integer({ minimum: 1024 ** 2, default: 48 * 1024 ** 2 }),
  // Industry standard (GA, Adobe): 30 minutes of inactivity end a session.
  SESSION_TIMEOUT_MS: Type.Integer({ minimum: 1000, maximum: 86_400_000, default: 1_800_000 }),
  SESSION_STORE_MAX: Type.Integer({ minimum: 1, maximum: 50_000_000, default: 200_000 }),
  SHUTDOWN_DELAY_MS: Type.Integer({ minimum: 0, maximum: 600_000, default: 0 }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ minimum: 0, maximum: 600_000, default: 10_000 }),
  IP_STORAGE: Type.Union([Type.Literal('full'), Type.Literal('truncated'), Type.Literal('none')], {
    default: 'truncated',
  }),
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 1 })),
  GEOIP_DB: Type.Optional(Type.String({ minLength: 1 })),
  KEEP_BOTS: Type.Boolean({ default: false }),
  RESPECT_DNT: Type.Boolean({ default: false }),
  EXCLUDE_IPS: Type.Optional(Type.String({ minLength: 1 })),
  URL_QUERY_STRIP: Type.String({ default: DEFAULT_QUERY_STRIP }),
  RATE_LIMIT_PER_MIN: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000 })),
  // One subscriber is usually given a whole /64 (RFC 6177): per address, rotating through it is free.
  RATE_LIMIT_IPV6_PREFIX: Type.Integer({ minimum: 1, maximum: 128, default: 64 }),
  RETENTION_DAYS: Type.Optional(Type.Integer({ minimum: 1, maximum: 36_500 })),
  ADMIN_PORT: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
  ADMIN_HOST: Type.Optional(Type.String({ minLength: 1 })),
  SPOOL_DIR: Type.Optional(Type.String({ minLength: 1 })),
  BUFFER_DURABILITY: Type.Union([Type.Literal('memory'), Type.Literal('disk')], { default: 'memory' }),
  SPOOL_MAX_BYTES: Type.Integer({ minimum: 0, default: 1024 ** 3 }),
  // 64 MiB: sized for a small disk, so a database refusing every row cannot fill what the spool needs.
  DEAD_LETTER_MAX_BYTES: Type.Integer({ minimum: 0, default: 64 * 1024 ** 2 }),
  COLLECT_PATH: Type.String({ minLength: 1, default: '/collect' }),
  SCRIPT_PATH: Type.String({ minLength: 1, default: '/collector.js' }),
  DEBUG_ENDPOINT: Type.Boolean({ default: false }),
  // Where Plausible's and Umami's trackers post by default, so moving is one attribute; `off` turns each off.
  PLAUSIBLE_PATH: Type.String({ minLength: 1, default: '/api/event' }),
  UMAMI_PATH: Type.String({ minLength: 1, default: '/api/send' }),
  REDIS_URL: Type.Optional(Type.String({ minLength: 1 })),
  // Each worker is a whole service (buffer, pool, spool); more than the cores only adds contention.
  WORKERS: Type.Integer({ minimum: 1, maximum: 64, default: 1 }),
  LOG_LEVEL: { ...LogLevel, default: 'info' },
  LOG_PRETTY: Type.Boolean({ default: false }),
  NODE_ENV: Type.Optional(Type.String()),
});
export type Env = Static<typeof EnvSchema>;
