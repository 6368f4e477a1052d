// The one place the environment is read. Everything else receives a typed, validated Config.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import ipaddr from 'ipaddr.js';

const LogLevel = Type.Union(
  ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
);

// Query parameters that commonly carry secrets or personal data (reset tokens, emails, API keys).
export const DEFAULT_QUERY_STRIP = 'token,password,passwd,secret,key,api_key,auth,code,email,session,sid';

/** The environment variables this build reads (DESIGN.md, "Contract: configuration"). */
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
  REDIS_URL: Type.Optional(Type.String({ minLength: 1 })),
  // Each worker is a whole service (buffer, pool, spool); more than the cores only adds contention.
  WORKERS: Type.Integer({ minimum: 1, maximum: 64, default: 1 }),
  LOG_LEVEL: { ...LogLevel, default: 'info' },
  LOG_PRETTY: Type.Boolean({ default: false }),
  NODE_ENV: Type.Optional(Type.String()),
});
export type Env = Static<typeof EnvSchema>;

/** Variables whose values never appear in an error message. */
const SECRET_VARS = new Set(['HASH_SECRET', 'METRICS_TOKEN', 'DATABASE_URL', 'DATABASE_PASSWORD', 'REDIS_URL']);

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
  /** Serve POST `${collectPath}/debug`. */
  debugEndpoint: boolean;
  /** Redis holding the sessions shared by every instance, or null: sessions live in this process. */
  redisUrl: string | null;
  /** Worker processes sharing the port (node:cluster); 1: no cluster. */
  workers: number;
  logLevel: string;
  logPretty: boolean;
  /** Injected for tests: wall clock in epoch milliseconds. */
  clock: () => number;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`Invalid configuration: ${variable} ${message}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads and validates the environment. Throws ConfigError naming the variable on the first
 * problem. `warnings` carries what is allowed but worth saying at start.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): { config: Config; warnings: string[] } {
  const raw = coerceEnv(env);
  const first = Value.Errors(EnvSchema, raw).First();
  if (first) {
    const variable = first.path.replace(/^\//, '') || 'environment';
    const got = SECRET_VARS.has(variable) ? '' : ` (got ${JSON.stringify(env[variable])})`;
    throw new ConfigError(variable, `${describe(first.schema, first.message)}${got}`);
  }
  const e = raw as Env;
  const warnings: string[] = [];
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
    redisUrl,
    workers: e.WORKERS,
    logLevel: e.LOG_LEVEL,
    logPretty: e.LOG_PRETTY,
    clock: Date.now,
  };
  return { config, warnings };
}

/**
 * Strings to schema types, strictly: "1.5" is not an integer and "yes" is not a boolean
 * (TypeBox's Value.Convert would quietly turn them into 1 and leave the typo unnoticed).
 * Empty values count as unset; defaults fill what is unset.
 */
function coerceEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(EnvSchema.properties) as [string, TSchema][]) {
    const value = env[name]?.trim();
    if (value === undefined || value === '') {
      if ('default' in schema) out[name] = schema.default;
      continue;
    }
    if (schema.type === 'integer') out[name] = /^-?\d+$/.test(value) ? Number(value) : value;
    else if (schema.type === 'boolean') {
      const lower = value.toLowerCase();
      out[name] = lower === 'true' || lower === '1' ? true : lower === 'false' || lower === '0' ? false : value;
    } else out[name] = value;
  }
  return out;
}

function describe(schema: TSchema, fallback: string): string {
  if (schema.type === 'integer') {
    const range =
      schema.minimum !== undefined && schema.maximum !== undefined
        ? ` from ${schema.minimum} to ${schema.maximum}`
        : schema.minimum !== undefined
          ? ` of at least ${schema.minimum}`
          : '';
    return `must be an integer${range}`;
  }
  if (schema.type === 'boolean') return 'must be true or false';
  if (Array.isArray(schema.anyOf)) {
    return `must be one of ${schema.anyOf.map((s: TSchema) => String(s.const)).join(', ')}`;
  }
  if (schema.minLength !== undefined) return `must be at least ${schema.minLength} characters`;
  return fallback;
}

function parseDatabaseUrl(value: string): Pick<Config, 'store' | 'databaseUrl' | 'sqlitePath'> {
  if (value.startsWith('sqlite:')) {
    const path = value.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') throw new ConfigError('DATABASE_URL', 'names no file: expected sqlite:PATH, e.g. sqlite:./data/analytics.db');
    return { store: 'sqlite', databaseUrl: '', sqlitePath: resolve(path) };
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(
      'DATABASE_URL',
      'is not a URL: expected mysql://user:pass@host:port/database or sqlite:PATH. A password holding / ? # @ : or % must be ' +
        'percent-encoded in the URL (/ as %2F, # as %23), or given as it is in DATABASE_PASSWORD',
    );
  }
  if (url.protocol !== 'mysql:') {
    throw new ConfigError('DATABASE_URL', `has scheme ${url.protocol.replace(/:$/, '')}: expected mysql://user:pass@host:port/database or sqlite:PATH`);
  }
  if (!url.hostname) throw new ConfigError('DATABASE_URL', 'has no host: expected mysql://user:pass@host:port/database');
  if (url.pathname.replace(/^\//, '') === '') {
    throw new ConfigError('DATABASE_URL', 'names no database: expected mysql://user:pass@host:port/database');
  }
  return { store: 'mysql', databaseUrl: value, sqlitePath: '' };
}

function parseOrigins(value: string): '*' | string[] {
  if (value.trim() === '*') return '*';
  const origins: string[] = [];
  for (const part of value.split(',')) {
    const candidate = part.trim().replace(/\/$/, '');
    if (candidate === '') continue;
    let origin: string;
    try {
      origin = new URL(candidate).origin;
    } catch {
      throw new ConfigError('ALLOWED_ORIGINS', `has ${JSON.stringify(part.trim())}, which is not an origin like https://example.com`);
    }
    if (origin === 'null' || origin !== candidate.toLowerCase()) {
      throw new ConfigError(
        'ALLOWED_ORIGINS',
        `has ${JSON.stringify(part.trim())}: give exact origins (scheme://host[:port], no path), e.g. https://example.com`,
      );
    }
    origins.push(origin);
  }
  if (origins.length === 0) throw new ConfigError('ALLOWED_ORIGINS', 'lists no origin');
  return origins;
}

// Reserved for the ops routes, which the public port may also serve.
const OPS_PATHS = new Set(['/health', '/ready', '/metrics']);

/**
 * A route path: absolute, letters, digits and `._~-` between slashes, at most 100 characters, not an
 * ops route. `:` and `*` would be route parameters and wildcards to Fastify's router.
 */
function parsePath(variable: string, value: string): string {
  if (!/^\/[A-Za-z0-9._~\/-]*$/.test(value) || value.length > 100 || value.includes('//') || (value.length > 1 && value.endsWith('/'))) {
    throw new ConfigError(variable, `(${JSON.stringify(value)}) must be a path such as /collect: starting with /, letters, digits, . _ ~ - and /, at most 100 characters, no // or trailing /`);
  }
  if (value === '/' || OPS_PATHS.has(value)) throw new ConfigError(variable, `(${value}) is reserved: choose another path`);
  return value;
}

function parseRedisUrl(value: string): string {
  let url: URL | null = null;
  try {
    url = new URL(value);
  } catch {
    // reported below
  }
  if (url === null || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') {
    throw new ConfigError('REDIS_URL', 'must be redis://[user:pass@]host:port[/db] or rediss://… (TLS)');
  }
  return value;
}

// A DNS name: dot-separated labels of letters, digits and inner hyphens (RFC 1123).
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** An address to listen on: an IPv4 or IPv6 address or a host name; checked here, not at listen time. */
function parseHost(variable: string, value: string): string {
  if (!ipaddr.isValid(value) && !HOST_NAME.test(value)) {
    throw new ConfigError(variable, `(${JSON.stringify(value)}) must be an IP address or a host name, e.g. 127.0.0.1, ::1 or localhost`);
  }
  return value;
}

// An HTTP header name is a token (RFC 9110, section 5.6.2).
const HEADER_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function parseHeaderName(variable: string, value: string): string {
  if (!HEADER_TOKEN.test(value)) {
    throw new ConfigError(variable, `(${JSON.stringify(value)}) must be an HTTP header name, e.g. CF-IPCountry, CloudFront-Viewer-Country or X-Vercel-IP-Country`);
  }
  return value.toLowerCase(); // Node gives header names lower-cased
}

// proxy-addr (Fastify's trust-proxy engine) also takes these names for well-known ranges.
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function parseTrustProxy(value: string): TrustProxy {
  const lower = value.toLowerCase();
  if (lower === 'false') return false;
  if (lower === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  const entries = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const entry of entries) {
    if (PROXY_RANGE_NAMES.has(entry)) continue;
    const ok = entry.includes('/') ? safe(() => ipaddr.parseCIDR(entry)) : ipaddr.isValid(entry);
    if (!ok) {
      throw new ConfigError(
        'TRUST_PROXY',
        `has ${JSON.stringify(entry)}: expected false, true, a hop count, or comma-separated IPs/CIDRs such as 10.0.0.0/8`,
      );
    }
  }
  return entries;
}

/** The bundled CC BY 4.0 country database (geo-whois-asn-country, installed from npm with the project). */
export const BUNDLED_GEOIP_DB = createRequire(import.meta.url).resolve(
  '@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb',
);

function parseGeoipDb(value: string | undefined): string | null {
  if (value === undefined) return BUNDLED_GEOIP_DB;
  if (value.toLowerCase() === 'off') return null;
  return resolve(value); // opened (and checked) at start: a missing or corrupt file stops it there
}

function parseExcludeIps(value: string | undefined): string[] {
  if (value === undefined) return [];
  const entries = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const entry of entries) {
    const ok = entry.includes('/') ? safe(() => ipaddr.parseCIDR(entry)) : ipaddr.isValid(entry);
    if (!ok) throw new ConfigError('EXCLUDE_IPS', `has ${JSON.stringify(entry)}: expected comma-separated IPs or CIDRs such as 203.0.113.0/24`);
  }
  return entries;
}

function safe(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch {
    return false;
  }
}

/** HASH_SECRET unset: one random secret, generated on first start and kept in DATA_DIR. */
function loadOrCreateSecret(dataDir: string, attempt = 0): string {
  const file = join(dataDir, 'secret');
  try {
    const existing = readFileSync(file, 'utf8').trim();
    if (existing.length >= 16) return existing;
    // Empty right after another process created it (wx below), or edited by hand.
    if (attempt >= 3) {
      throw new ConfigError('HASH_SECRET', `is unset and ${file} holds fewer than 16 characters: delete the file to generate a new secret, or set HASH_SECRET`);
    }
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ConfigError('HASH_SECRET', `is unset and ${file} cannot be read: ${(err as Error).message}`);
    }
  }
  const secret = randomBytes(32).toString('base64url');
  try {
    mkdirSync(dataDir, { recursive: true });
    // wx: two processes starting at once must not overwrite each other's secret.
    writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateSecret(dataDir, attempt + 1);
    throw new ConfigError('HASH_SECRET', `is unset and ${file} cannot be written (DATA_DIR): ${(err as Error).message}`);
  }
  return secret;
}
