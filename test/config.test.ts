import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { ConfigError, loadConfig } from '../src/config.js';

const DB = 'mysql://root@127.0.0.1:3306/analytics';
const base = { DATABASE_URL: DB, HASH_SECRET: 'x'.repeat(20) };

function fails(t: Test, env: Record<string, string | undefined>, variable: string, pattern: RegExp) {
  try {
    loadConfig(env);
    t.fail(`${variable}: expected a ConfigError`);
  } catch (err) {
    t.ok(err instanceof ConfigError, `${variable}: ConfigError`);
    t.equal((err as ConfigError).variable, variable);
    t.match((err as Error).message, pattern);
    t.match((err as Error).message, new RegExp(variable), 'the message names the variable');
  }
}

t.test('defaults from DESIGN.md', async (t) => {
  const { config, warnings } = loadConfig(base);
  t.match(config, {
    port: 3006,
    host: '0.0.0.0',
    dbPoolSize: 4,
    migrate: true,
    allowedOrigins: null,
    requireOrigin: false,
    trustProxy: false,
    flushIntervalMs: 5000,
    flushMaxRows: 100,
    bufferCapacity: 100_000,
    bufferMaxBytes: 48 * 1024 ** 2,
    shutdownDelayMs: 0,
    shutdownTimeoutMs: 10_000,
    ipStorage: 'truncated',
    deadLetterMaxBytes: 67_108_864,
    metricsToken: undefined,
    logLevel: 'info',
    logPretty: false,
  });
  t.match(warnings.join('\n'), /ALLOWED_ORIGINS is unset/);
});

t.test('the store: embedded SQLite unless DATABASE_URL names MySQL', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bi-config-'));
  t.match(loadConfig({ HASH_SECRET: 'x'.repeat(20), DATA_DIR: dir }).config, { store: 'sqlite', sqlitePath: join(dir, 'analytics.db'), databaseUrl: '' });
  t.match(loadConfig({ ...base, DATABASE_URL: 'sqlite:./x/y.db' }).config, { store: 'sqlite', sqlitePath: join(process.cwd(), 'x/y.db') });
  t.match(loadConfig(base).config, { store: 'mysql', databaseUrl: DB, sqlitePath: '' });
});

t.test('empty values count as unset', async (t) => {
  const { config } = loadConfig({ ...base, PORT: '', FLUSH_MAX_ROWS: '  ', ALLOWED_ORIGINS: '' });
  t.equal(config.port, 3006);
  t.equal(config.flushMaxRows, 100);
  t.equal(config.allowedOrigins, null);
});

t.test('bad values stop the start, naming the variable', async (t) => {
  fails(t, { ...base, DATABASE_URL: 'postgres://x/y' }, 'DATABASE_URL', /scheme postgres: expected mysql:\/\/.*or sqlite:PATH/);
  fails(t, { ...base, DATABASE_URL: 'sqlite:' }, 'DATABASE_URL', /names no file/);
  fails(t, { ...base, DATABASE_URL: 'mysql://127.0.0.1:3306' }, 'DATABASE_URL', /names no database/);
  fails(t, { ...base, PORT: 'abc' }, 'PORT', /integer from 0 to 65535 \(got "abc"\)/);
  fails(t, { ...base, PORT: '70000' }, 'PORT', /integer/);
  fails(t, { ...base, FLUSH_MAX_ROWS: '1.5' }, 'FLUSH_MAX_ROWS', /integer/);
  fails(t, { ...base, BUFFER_CAPACITY: '0' }, 'BUFFER_CAPACITY', /at least 1|from 1/);
  fails(t, { ...base, BUFFER_MAX_BYTES: '65536' }, 'BUFFER_MAX_BYTES', /at least 1048576/);
  fails(t, { ...base, MIGRATE: 'yes' }, 'MIGRATE', /true or false/);
  fails(t, { ...base, IP_STORAGE: 'hashed' }, 'IP_STORAGE', /one of full, truncated, none/);
  fails(t, { ...base, LOG_LEVEL: 'loud' }, 'LOG_LEVEL', /one of/);
  fails(t, { ...base, HASH_SECRET: 'short' }, 'HASH_SECRET', /at least 16/);
  fails(t, { ...base, TRUST_PROXY: '10.0.0.0/33' }, 'TRUST_PROXY', /CIDR/);
  fails(t, { ...base, TRUST_PROXY: 'proxy.internal' }, 'TRUST_PROXY', /CIDR/);
  fails(t, { ...base, ALLOWED_ORIGINS: 'example.com' }, 'ALLOWED_ORIGINS', /origin/);
  fails(t, { ...base, ALLOWED_ORIGINS: 'https://example.com/path' }, 'ALLOWED_ORIGINS', /exact origins/);
  fails(t, { ...base, NODE_ENV: 'production' }, 'ALLOWED_ORIGINS', /must be set when NODE_ENV=production/);
  fails(t, { ...base, PORT: '3006', ADMIN_PORT: '3006' }, 'ADMIN_PORT', /must differ from PORT/);
  fails(t, { ...base, ADMIN_HOST: 'not a host!' }, 'ADMIN_HOST', /IP address or a host name/);
  fails(t, { ...base, ADMIN_HOST: '10.0.0.1:9000' }, 'ADMIN_HOST', /IP address or a host name/);
  fails(t, { ...base, RETENTION_DAYS: '0' }, 'RETENTION_DAYS', /integer/);
  fails(t, { ...base, BUFFER_DURABILITY: 'fsync' }, 'BUFFER_DURABILITY', /one of memory, disk/);
  fails(t, { ...base, DEAD_LETTER_MAX_BYTES: '-1' }, 'DEAD_LETTER_MAX_BYTES', /integer/);
});

t.test('secrets are never echoed in errors', async (t) => {
  try {
    loadConfig({ ...base, HASH_SECRET: 'tooshort1' });
  } catch (err) {
    t.notMatch((err as Error).message, /tooshort1/);
  }
});

t.test('parsed forms', async (t) => {
  const parse = (env: Record<string, string>) => loadConfig({ ...base, ...env }).config;
  t.equal(parse({ TRUST_PROXY: 'true' }).trustProxy, true);
  t.equal(parse({ TRUST_PROXY: '2' }).trustProxy, 2);
  t.same(parse({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.1,loopback,::1' }).trustProxy, ['10.0.0.0/8', '192.168.1.1', 'loopback', '::1']);
  t.same(parse({ ALLOWED_ORIGINS: 'https://example.com, https://www.example.com/, http://localhost:8080' }).allowedOrigins, [
    'https://example.com',
    'https://www.example.com',
    'http://localhost:8080',
  ]);
  t.equal(parse({ ALLOWED_ORIGINS: '*' }).allowedOrigins, '*');
  t.equal(loadConfig({ ...base, NODE_ENV: 'production', ALLOWED_ORIGINS: '*' }).warnings.length, 0, 'explicit * is allowed in production');
  t.equal(parse({ LOG_PRETTY: 'TRUE', MIGRATE: '0' }).logPretty, true);
  t.equal(parse({ MIGRATE: '0' }).migrate, false);
});

t.test('HASH_SECRET unset: generated once into DATA_DIR/secret and reused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bi-config-'));
  const dataDir = join(dir, 'nested', 'data');
  const a = loadConfig({ DATABASE_URL: DB, DATA_DIR: dataDir }).config;
  const b = loadConfig({ DATABASE_URL: DB, DATA_DIR: dataDir }).config;
  t.ok(a.hashSecret.length >= 32);
  t.equal(b.hashSecret, a.hashSecret, 'same secret after a restart');
  t.equal(readFileSync(join(dataDir, 'secret'), 'utf8').trim(), a.hashSecret);
  t.equal(statSync(join(dataDir, 'secret')).mode & 0o777, 0o600, 'readable by the owner only');
});

t.test('a secret file too short to use is a configuration error, not a crash', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bi-config-'));
  writeFileSync(join(dir, 'secret'), 'short\n');
  fails(t, { DATABASE_URL: DB, DATA_DIR: dir }, 'HASH_SECRET', /fewer than 16 characters: delete the file/);
});

t.test('FLUSH_MAX_ROWS may not exceed BUFFER_CAPACITY', async (t) => {
  fails(t, { ...base, BUFFER_CAPACITY: '50', FLUSH_MAX_ROWS: '100' }, 'FLUSH_MAX_ROWS', /must not exceed BUFFER_CAPACITY \(50\)/);
});

t.test('client paths: defaults, valid forms, and bad or colliding paths stop the start', async (t) => {
  const { config } = loadConfig(base);
  t.match(config, { collectPath: '/collect', scriptPath: '/collector.js', debugEndpoint: false });
  t.match(loadConfig({ ...base, COLLECT_PATH: '/api/e', SCRIPT_PATH: '/js/app-4.js' }).config, { collectPath: '/api/e', scriptPath: '/js/app-4.js' });
  fails(t, { ...base, COLLECT_PATH: 'collect' }, 'COLLECT_PATH', /must be a path/);
  fails(t, { ...base, COLLECT_PATH: '/collect?x=1' }, 'COLLECT_PATH', /must be a path/);
  fails(t, { ...base, COLLECT_PATH: '/c/' }, 'COLLECT_PATH', /trailing/);
  fails(t, { ...base, COLLECT_PATH: '/metrics' }, 'COLLECT_PATH', /reserved/);
  fails(t, { ...base, COLLECT_PATH: '/b:v1' }, 'COLLECT_PATH', /must be a path/);
  fails(t, { ...base, SCRIPT_PATH: '/js*' }, 'SCRIPT_PATH', /must be a path/);
  fails(t, { ...base, COLLECT_PATH: '/' + 'a'.repeat(100) }, 'COLLECT_PATH', /at most 100/);
  fails(t, { ...base, SCRIPT_PATH: '/health' }, 'SCRIPT_PATH', /reserved/);
  fails(t, { ...base, SCRIPT_PATH: '/collect.gif' }, 'SCRIPT_PATH', /collides with COLLECT_PATH/);
  fails(t, { ...base, DEBUG_ENDPOINT: 'yes' }, 'DEBUG_ENDPOINT', /true or false/);
});

t.test('scale-out: REDIS_URL and WORKERS', async (t) => {
  const { config, warnings } = loadConfig({ ...base, REDIS_URL: 'redis://127.0.0.1:6379/2', WORKERS: '2' });
  t.match(config, { redisUrl: 'redis://127.0.0.1:6379/2', workers: 2 });
  t.notOk(warnings.some((w) => w.includes('WORKERS')));
  t.equal(loadConfig(base).config.workers, 1);
  t.equal(loadConfig(base).config.redisUrl, null);
  fails(t, { ...base, REDIS_URL: 'http://127.0.0.1:6379' }, 'REDIS_URL', /redis:\/\//);
  fails(t, { ...base, WORKERS: '0' }, 'WORKERS', /integer from 1 to 64/);
  fails(t, { HASH_SECRET: 'x'.repeat(20), DATA_DIR: mkdtempSync(join(tmpdir(), 'bi-cfg-')), WORKERS: '2' }, 'WORKERS', /needs MySQL/);
  const solo = loadConfig({ ...base, WORKERS: '2' });
  t.ok(solo.warnings.some((w) => /WORKERS=2 without REDIS_URL/.test(w)), 'sessions per process: a warning');
});

t.test('RATE_LIMIT_IPV6_PREFIX: 64 by default, an integer from 1 to 128', async (t) => {
  t.equal(loadConfig(base).config.rateLimitIpv6Prefix, 64);
  t.equal(loadConfig({ ...base, RATE_LIMIT_IPV6_PREFIX: '56' }).config.rateLimitIpv6Prefix, 56);
  t.equal(loadConfig({ ...base, RATE_LIMIT_IPV6_PREFIX: '128' }).config.rateLimitIpv6Prefix, 128);
  fails(t, { ...base, RATE_LIMIT_IPV6_PREFIX: '0' }, 'RATE_LIMIT_IPV6_PREFIX', /integer from 1 to 128/);
  fails(t, { ...base, RATE_LIMIT_IPV6_PREFIX: '129' }, 'RATE_LIMIT_IPV6_PREFIX', /integer from 1 to 128/);
  fails(t, { ...base, RATE_LIMIT_IPV6_PREFIX: '/64' }, 'RATE_LIMIT_IPV6_PREFIX', /integer/);
});

t.test('CDN_COUNTRY_HEADER: unset by default; an HTTP header name, lower-cased', async (t) => {
  t.equal(loadConfig(base).config.cdnCountryHeader, null);
  const { config, warnings } = loadConfig({ ...base, CDN_COUNTRY_HEADER: 'CF-IPCountry', TRUST_PROXY: '10.0.0.0/8' });
  t.equal(config.cdnCountryHeader, 'cf-ipcountry');
  t.notOk(warnings.some((w) => w.includes('CDN_COUNTRY_HEADER')));
  t.ok(loadConfig({ ...base, CDN_COUNTRY_HEADER: 'x-vercel-ip-country' }).warnings.some((w) => /CDN_COUNTRY_HEADER is set but TRUST_PROXY=false/.test(w)), 'never believed without a trusted proxy: a warning');
  fails(t, { ...base, CDN_COUNTRY_HEADER: 'CF IPCountry' }, 'CDN_COUNTRY_HEADER', /must be an HTTP header name/);
  fails(t, { ...base, CDN_COUNTRY_HEADER: 'cf-ipcountry:' }, 'CDN_COUNTRY_HEADER', /must be an HTTP header name/);
  fails(t, { ...base, CDN_COUNTRY_HEADER: 'cf-ipcountry,x-vercel-ip-country' }, 'CDN_COUNTRY_HEADER', /must be an HTTP header name/);
});

t.test('ADMIN_HOST: the admin port binds HOST unless set to an address or host name of its own', async (t) => {
  t.equal(loadConfig({ ...base, HOST: '127.0.0.1' }).config.adminHost, '127.0.0.1');
  t.equal(loadConfig({ ...base, ADMIN_HOST: '10.1.2.3' }).config.adminHost, '10.1.2.3');
  t.equal(loadConfig({ ...base, ADMIN_HOST: '::1' }).config.adminHost, '::1');
  t.equal(loadConfig({ ...base, ADMIN_HOST: 'admin.internal' }).config.adminHost, 'admin.internal');
});

t.test('DATABASE_URL with a password that breaks the URL: the error says to percent-encode it or use DATABASE_PASSWORD', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bi-cfg-'));
  t.throws(() => loadConfig({ DATA_DIR: dataDir, DATABASE_URL: 'mysql://beacon:pa/ss#1@db:3306/analytics' }), /DATABASE_URL is not a URL.*percent-encoded.*DATABASE_PASSWORD/);
  const { config } = loadConfig({ DATA_DIR: dataDir, DATABASE_URL: 'mysql://beacon@db:3306/analytics', DATABASE_PASSWORD: 'pa/ss#1@?:%x' });
  t.equal(decodeURIComponent(new URL(config.databaseUrl).password), 'pa/ss#1@?:%x', 'the password, every character of it');
  t.equal(new URL(config.databaseUrl).hostname, 'db');
  t.throws(() => loadConfig({ DATA_DIR: dataDir, DATABASE_PASSWORD: 'x' }), new ConfigError('DATABASE_PASSWORD', 'is set, but DATABASE_URL is not a mysql:// URL'));
});

t.test('a variable that looks like a setting but is none: a warning at start, naming both', async (t) => {
  const { warnings } = loadConfig({ ...base, ALLOWED_ORIGIN: 'https://example.com', FLUSH_INTERVAL: '1000' });
  t.ok(warnings.includes('ALLOWED_ORIGIN is not a setting of this service; did you mean ALLOWED_ORIGINS?'), warnings.join('\n'));
  t.ok(warnings.includes('FLUSH_INTERVAL is not a setting of this service; did you mean FLUSH_INTERVAL_MS?'), warnings.join('\n'));
  // A fixed, typical environment (not this machine's, which may export anything): none of it warns.
  const typical = { PATH: '/usr/bin', HOME: '/root', HOSTNAME: 'web-1', USER: 'node', SHELL: '/bin/sh', LANG: 'C.UTF-8', TERM: 'xterm', PWD: '/app', NODE_ENV: 'production', NODE_OPTIONS: '--max-old-space-size=256', npm_config_cache: '/tmp/npm', npm_lifecycle_event: 'start', KUBERNETES_SERVICE_HOST: '10.0.0.1', TZ: 'UTC' };
  const ordinary = loadConfig({ ...typical, ...base, DATA_DIR: mkdtempSync(join(tmpdir(), 'bi-config-')), ALLOWED_ORIGINS: '*' });
  t.same(ordinary.warnings, [], 'a typical environment adds none');
});
