// The one place the environment is read. Everything else receives a typed, validated Config.
// The schema, the value parsers and the secret file live in src/config/; what other modules
// import from here is re-exported so they need not know that.
import { join, resolve } from 'node:path';
import { ConfigError } from './config/config-error.js';
import { EnvSchema, type Env } from './config/env-schema.js';
import { parseDatabaseUrl, parseExcludeIps, parseGeoipDb, parseHeaderName, parseHost, parseOrigins, parsePath, parseRedisUrl, parseTrustProxy } from './config/parsers.js';
import { readEnv } from './config/read-env.js';
import { loadOrCreateSecret } from './config/secret-file.js';
import { unknownVariableWarnings } from './config/unknown-variable-warnings.js';

export { ConfigError } from './config/config-error.js';
export { DEFAULT_QUERY_STRIP, EnvSchema, type Env } from './config/env-schema.js';
export { BUNDLED_GEOIP_DB } from './config/parsers.js';

export type TrustProxy = boolean | number | string[];
export type IpStorage = 'full' | 'truncated' | 'none';

export interface Config {
  port: number;
  host: string;
  /** Which store: MySQL/MariaDB at databaseUrl, or the embedded SQLite file at sqlitePath. */
  store: 'mysql' | 'sqlite';
  /** mysql://… when store is mysql, else ''. */
  databaseUrl: string;
  /** The SQLite file when store is sqlite, else ''. */
  sqlitePath: string;
  dbPoolSize: number;
  dataDir: string;
  migrate: boolean;
  /** null: unset (any origin, with a warning); '*': any origin, explicitly; else exact origins. */
  allowedOrigins: null | '*' | string[];
  requireOrigin: boolean;
  trustProxy: TrustProxy;
  /**
   * The one header carrying the visitor's country that a trusted proxy's CDN sets, lower-cased; null:
   * none is believed (a proxy that passes client headers on would let visitors choose their country).
   */
  cdnCountryHeader: string | null;
  hashSecret: string;
  flushIntervalMs: number;
  flushMaxRows: number;
  bufferCapacity: number;
  /** Estimated heap bytes of the rows held in memory before the next go to the spool. */
  bufferMaxBytes: number;
  sessionTimeoutMs: number;
  sessionStoreMax: number;
  shutdownDelayMs: number;
  shutdownTimeoutMs: number;
  ipStorage: IpStorage;
  /** Path of the .mmdb country database, or null when GEOIP_DB=off. */
  geoipDb: string | null;
  keepBots: boolean;
  respectDnt: boolean;
  /** CIDRs whose beacons are dropped (already validated). */
  excludeIps: string[];
  /** Lower-cased query parameter names removed from url and referrer. */
  urlQueryStrip: string[];
  /** Rows and sessions older than this many days are deleted daily; null: kept forever. */
  retentionDays: number | null;
  /** Port for /metrics, /health and /ready; null: the public port serves them. */
  adminPort: number | null;
  /** The address the admin port binds (ADMIN_HOST, default HOST): e.g. a private interface only. */
  adminHost: string;
  /** Beacons per client address per minute; null: no limit. */
  rateLimitPerMin: number | null;
  /** IPv6 clients are rate-limited per prefix of this length. */
  rateLimitIpv6Prefix: number;
  /** Rows kept on disk while the database is away or at shutdown; dead letters. */
  spoolDir: string;
  spoolMaxBytes: number;
  /** Size cap of SPOOL_DIR/dead-letter.ndjson; letters past it are dropped and counted. */
  deadLetterMaxBytes: number;
  /** memory: a crash loses the buffer; disk: each accepted row is fsynced to a WAL before the 204. */
  bufferDurability: 'memory' | 'disk';
  metricsToken: string | undefined;
  /** Path of the beacon endpoint; the pixel is at `${collectPath}.gif`, the debug endpoint at `${collectPath}/debug`. */
  collectPath: string;
  /** Path the collector script is served at. */
  scriptPath: string;
  /** Serve POST `${collectPath}/debug` (and the trackers' `/debug` twins). */
  debugEndpoint: boolean;
  /** Path of Plausible's Events API (POST), or null when PLAUSIBLE_PATH=off; its debug twin is `${plausiblePath}/debug`. */
  plausiblePath: string | null;
  /** Path of Umami's send endpoint (POST), or null when UMAMI_PATH=off; its debug twin is `${umamiPath}/debug`. */
  umamiPath: string | null;
  /** Redis holding the sessions shared by every instance, or null: sessions live in this process. */
  redisUrl: string | null;
  /** Worker processes sharing the port (node:cluster); 1: no cluster. */
  workers: number;
  logLevel: string;
  logPretty: boolean;
  /** Injected for tests: wall clock in epoch milliseconds. */
  clock: () => number;
}

/**
 * Reads and validates the environment. Throws ConfigError naming the variable on the first
 * problem. `warnings` carries what is allowed but worth saying at start, first any variable that
 * looks like a setting but is none (a misspelling would otherwise be ignored without a word).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): { config: Config; warnings: string[] } {
  const e: Env = readEnv(env);
  const warnings = unknownVariableWarnings(env, Object.keys(EnvSchema.properties));
  const production = e.NODE_ENV === 'production';

  if (e.ADMIN_PORT !== undefined && e.ADMIN_PORT !== 0 && e.ADMIN_PORT === e.PORT) {
    throw new ConfigError('ADMIN_PORT', `(${e.ADMIN_PORT}) must differ from PORT: leave it unset to serve the ops routes on the public port`);
  }
  const dataDir = resolve(e.DATA_DIR);
  // Unset: the embedded SQLite file, so `npm start` runs anywhere; MySQL/MariaDB is the production store.
  const database = e.DATABASE_URL === undefined ? { store: 'sqlite' as const, databaseUrl: '', sqlitePath: join(dataDir, 'analytics.db') } : parseDatabaseUrl(e.DATABASE_URL);
  if (e.DATABASE_PASSWORD !== undefined) {
    if (database.store !== 'mysql') throw new ConfigError('DATABASE_PASSWORD', 'is set, but DATABASE_URL is not a mysql:// URL');
    const url = new URL(database.databaseUrl);
    // Encoded here, decoded by the driver: every character of the password survives.
    url.password = encodeURIComponent(e.DATABASE_PASSWORD);
    database.databaseUrl = url.toString();
  }

  let allowedOrigins: Config['allowedOrigins'] = null;
  if (e.ALLOWED_ORIGINS === undefined) {
    if (production) {
      throw new ConfigError(
        'ALLOWED_ORIGINS',
        'must be set when NODE_ENV=production: list the origins of your sites, e.g. ' +
          'ALLOWED_ORIGINS=https://example.com,https://www.example.com (or * to accept any site on purpose)',
      );
    }
    warnings.push(
      'ALLOWED_ORIGINS is unset: beacons from any site are accepted. Set it to your sites\' origins before going live.',
    );
  } else {
    allowedOrigins = parseOrigins(e.ALLOWED_ORIGINS);
  }

  if (e.FLUSH_MAX_ROWS > e.BUFFER_CAPACITY) {
    throw new ConfigError('FLUSH_MAX_ROWS', `(${e.FLUSH_MAX_ROWS}) must not exceed BUFFER_CAPACITY (${e.BUFFER_CAPACITY}): the buffer would fill before a flush started`);
  }
  const collectPath = parsePath('COLLECT_PATH', e.COLLECT_PATH);
  const scriptPath = parsePath('SCRIPT_PATH', e.SCRIPT_PATH);
  if ([collectPath, `${collectPath}.gif`, `${collectPath}/debug`].includes(scriptPath)) {
    throw new ConfigError('SCRIPT_PATH', `(${scriptPath}) collides with COLLECT_PATH (${collectPath}), its pixel or its debug endpoint`);
  }
  const { plausiblePath, umamiPath } = trackerPaths(e, [collectPath, `${collectPath}.gif`, `${collectPath}/debug`, scriptPath]);
  const redisUrl = e.REDIS_URL === undefined ? null : parseRedisUrl(e.REDIS_URL);
  const trustProxy = parseTrustProxy(e.TRUST_PROXY);
  const cdnCountryHeader = e.CDN_COUNTRY_HEADER === undefined ? null : parseHeaderName('CDN_COUNTRY_HEADER', e.CDN_COUNTRY_HEADER);
  if (cdnCountryHeader !== null && trustProxy === false) {
    warnings.push('CDN_COUNTRY_HEADER is set but TRUST_PROXY=false: the header is believed only from a trusted proxy, so never.');
  }
  if (e.WORKERS > 1) {
    if (database.store !== 'mysql') {
      throw new ConfigError(
        'WORKERS',
        `(${e.WORKERS}) needs MySQL: the embedded SQLite store takes one writer process. Set DATABASE_URL=mysql://… or WORKERS=1`,
      );
    }
    if (redisUrl === null) {
      warnings.push(`WORKERS=${e.WORKERS} without REDIS_URL: each worker keeps its own sessions, so a visitor whose beacons reach two workers gets two sessions. Set REDIS_URL to share them.`);
    }
  }
  const config: Config = {
    port: e.PORT,
    host: e.HOST,
    ...database,
    dbPoolSize: e.DB_POOL_SIZE,
    dataDir,
    migrate: e.MIGRATE,
    allowedOrigins,
    requireOrigin: e.REQUIRE_ORIGIN,
    trustProxy,
    cdnCountryHeader,
    hashSecret: e.HASH_SECRET ?? loadOrCreateSecret(dataDir),
    flushIntervalMs: e.FLUSH_INTERVAL_MS,
    flushMaxRows: e.FLUSH_MAX_ROWS,
    bufferCapacity: e.BUFFER_CAPACITY,
    bufferMaxBytes: e.BUFFER_MAX_BYTES,
    sessionTimeoutMs: e.SESSION_TIMEOUT_MS,
    sessionStoreMax: e.SESSION_STORE_MAX,
    shutdownDelayMs: e.SHUTDOWN_DELAY_MS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    ipStorage: e.IP_STORAGE,
    geoipDb: parseGeoipDb(e.GEOIP_DB),
    keepBots: e.KEEP_BOTS,
    respectDnt: e.RESPECT_DNT,
    excludeIps: parseExcludeIps(e.EXCLUDE_IPS),
    urlQueryStrip: e.URL_QUERY_STRIP.split(',').map((p) => p.trim().toLowerCase()).filter(Boolean),
    rateLimitPerMin: e.RATE_LIMIT_PER_MIN ?? null,
    rateLimitIpv6Prefix: e.RATE_LIMIT_IPV6_PREFIX,
    retentionDays: e.RETENTION_DAYS ?? null,
    adminPort: e.ADMIN_PORT ?? null,
    adminHost: e.ADMIN_HOST === undefined ? e.HOST : parseHost('ADMIN_HOST', e.ADMIN_HOST),
    spoolDir: e.SPOOL_DIR === undefined ? join(dataDir, 'spool') : resolve(e.SPOOL_DIR),
    spoolMaxBytes: e.SPOOL_MAX_BYTES,
    deadLetterMaxBytes: e.DEAD_LETTER_MAX_BYTES,
    bufferDurability: e.BUFFER_DURABILITY,
    metricsToken: e.METRICS_TOKEN,
    collectPath,
    scriptPath,
    debugEndpoint: e.DEBUG_ENDPOINT,
    plausiblePath,
    umamiPath,
    redisUrl,
    workers: e.WORKERS,
    logLevel: e.LOG_LEVEL,
    logPretty: e.LOG_PRETTY,
    clock: Date.now,
  };
  return { config, warnings };
}

/**
 * PLAUSIBLE_PATH and UMAMI_PATH: `off` turns one off; a path must not be, nor have its `/debug`
 * twin be, a path already served (`taken`) or the other tracker's.
 */
function trackerPaths(e: Env, taken: string[]): { plausiblePath: string | null; umamiPath: string | null } {
  const served = new Set(taken);
  const read = (variable: 'PLAUSIBLE_PATH' | 'UMAMI_PATH'): string | null => {
    if (e[variable].toLowerCase() === 'off') return null;
    const path = parsePath(variable, e[variable]);
    for (const p of [path, `${path}/debug`]) {
      if (served.has(p)) throw new ConfigError(variable, `(${path}) collides with another path this service serves (COLLECT_PATH, its pixel or debug endpoint, SCRIPT_PATH, or the other tracker's path): choose another, or off`);
    }
    served.add(path).add(`${path}/debug`);
    return path;
  };
  return { plausiblePath: read('PLAUSIBLE_PATH'), umamiPath: read('UMAMI_PATH') };
}
