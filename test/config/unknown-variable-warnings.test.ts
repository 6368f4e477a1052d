// A misspelt setting is silently ignored unless something says so: one warning at start for each
// variable that looks like ours but is not, naming the setting it probably meant.
import t from 'tap';
import { EnvSchema } from '../../src/config.js';
import { unknownVariableWarnings } from '../../src/config/unknown-variable-warnings.js';

const known = Object.keys(EnvSchema.properties);
const warn = (env: Record<string, string>) => unknownVariableWarnings(env, known);

t.test('a near miss of a setting: a warning naming it and the setting it looks like', async (t) => {
  t.same(warn({ ALLOWED_ORIGIN: 'https://example.com' }), [
    'ALLOWED_ORIGIN is not a setting of this service; did you mean ALLOWED_ORIGINS?',
  ]);
  t.same(warn({ DATABASE_URI: 'mysql://db/analytics' }), ['DATABASE_URI is not a setting of this service; did you mean DATABASE_URL?']);
  t.same(warn({ WORKER: '2' }), ['WORKER is not a setting of this service; did you mean WORKERS?']);
  t.same(warn({ PORTS: '3006' }), ['PORTS is not a setting of this service; did you mean PORT?']);
  t.same(warn({ LOGLEVEL: 'debug' }), ['LOGLEVEL is not a setting of this service; did you mean LOG_LEVEL?']);
  t.same(warn({ REDSI_URL: 'redis://r' }), ['REDSI_URL is not a setting of this service; did you mean REDIS_URL?'], 'a transposition is one edit');
  t.same(warn({ allowed_origins: '*' }), ['allowed_origins is not a setting of this service; did you mean ALLOWED_ORIGINS?'], 'names are case-sensitive');
});

t.test('a variable under one of our prefixes, however far from a setting: a warning with the closest one', async (t) => {
  t.same(warn({ FLUSH_INTERVAL: '1000' }), ['FLUSH_INTERVAL is not a setting of this service; did you mean FLUSH_INTERVAL_MS?']);
  t.same(warn({ REDIS_HOST: 'cache' }), ['REDIS_HOST is not a setting of this service; did you mean REDIS_URL?'], 'a tie goes to the same prefix');
  t.same(warn({ SESSION_TIMEOUT: '60' }), ['SESSION_TIMEOUT is not a setting of this service; did you mean SESSION_TIMEOUT_MS?']);
  t.same(warn({ GEOIP_DATABASE: '/x.mmdb' }), ['GEOIP_DATABASE is not a setting of this service; did you mean GEOIP_DB?']);
  t.same(warn({ RATE_LIMIT: '100' }), ['RATE_LIMIT is not a setting of this service; did you mean RATE_LIMIT_PER_MIN?']);
  t.same(warn({ DB_PASSWORD: 'x' }), ['DB_PASSWORD is not a setting of this service; did you mean DATABASE_PASSWORD?']);
  t.same(warn({ DB_HOST: 'db' }), ['DB_HOST is not a setting of this service; did you mean DATABASE_URL?'], 'DB is read as DATABASE');
  t.same(warn({ DB_POOL: '8' }), ['DB_POOL is not a setting of this service; did you mean DB_POOL_SIZE?']);
  t.match(warn({ BUFFER_SIZE: '10' }), [/^BUFFER_SIZE is not a setting of this service; did you mean BUFFER_(CAPACITY|MAX_BYTES|DURABILITY)\?$/]);
  t.match(warn({ SPOOL_PATH: '/x' }), [/^SPOOL_PATH is not a setting of this service; did you mean SPOOL_\w+\?$/]);
  t.match(warn({ ADMIN_TOKEN: 'x' }), [/^ADMIN_TOKEN is not a setting of this service; did you mean /]);
});

t.test('one warning per variable, in the order given; settings themselves never warn', async (t) => {
  const env: Record<string, string> = { FLUSH_INTERVAL: '1', HOME: '/root', ALLOWED_ORIGIN: '*' };
  for (const name of known) env[name] = 'x';
  t.same(warn(env), [
    'FLUSH_INTERVAL is not a setting of this service; did you mean FLUSH_INTERVAL_MS?',
    'ALLOWED_ORIGIN is not a setting of this service; did you mean ALLOWED_ORIGINS?',
  ]);
});

t.test('the environment of this machine, under tap and npm, gives no warning', async (t) => {
  t.same(unknownVariableWarnings(process.env, known), [], 'none', { names: Object.keys(process.env) });
});

t.test('common variables of shells, Node, npm, containers, systemd and CI give no warning', async (t) => {
  const common = [
    'PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'TERM', 'LANG', 'LC_ALL', 'TZ', 'PWD', 'OLDPWD', 'SHLVL', 'HOSTNAME',
    'HOSTTYPE', 'MAIL', 'EDITOR', 'PAGER', 'DISPLAY', 'TMPDIR', 'TEMP', 'TMP', 'COLORTERM', 'XDG_RUNTIME_DIR',
    'XDG_SESSION_ID', 'SSH_AUTH_SOCK', 'SESSION_MANAGER', 'NODE', 'NODE_OPTIONS', 'NODE_PATH', 'NODE_EXTRA_CA_CERTS',
    'NODE_TLS_REJECT_UNAUTHORIZED', 'NODE_DEBUG', 'NODE_NO_WARNINGS', 'UV_THREADPOOL_SIZE', 'FORCE_COLOR', 'NO_COLOR',
    'DEBUG', 'DEBUG_COLORS', 'DEBUG_DEPTH', 'CI', 'GITHUB_ACTIONS', 'RUNNER_OS', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY',
    'http_proxy', 'npm_config_cache', 'npm_package_name', 'npm_lifecycle_event', 'INIT_CWD', 'INVOCATION_ID',
    'JOURNAL_STREAM', 'NOTIFY_SOCKET', 'LISTEN_FDS', 'LISTEN_PID', 'KUBERNETES_SERVICE_HOST', 'KUBERNETES_PORT',
    'TAP', 'TAP_CHILD_ID', 'TEST_STORE', 'BEACON_WORKER_INDEX', 'MARIADB_DATABASE', 'MYSQL_PWD',
  ];
  t.same(warn(Object.fromEntries(common.map((n) => [n, '1']))), []);
});

t.test('Kubernetes service links for a service named like one of our prefixes give no warning', async (t) => {
  // A Service called "redis" puts these into every pod of the namespace.
  t.same(
    warn({
      REDIS_SERVICE_HOST: '10.0.0.11',
      REDIS_SERVICE_PORT: '6379',
      REDIS_SERVICE_PORT_CLIENT: '6379',
      REDIS_PORT: 'tcp://10.0.0.11:6379',
      REDIS_PORT_6379_TCP: 'tcp://10.0.0.11:6379',
      REDIS_PORT_6379_TCP_PROTO: 'tcp',
      REDIS_PORT_6379_TCP_PORT: '6379',
      REDIS_PORT_6379_TCP_ADDR: '10.0.0.11',
    }),
    [],
  );
  t.same(warn({ REDIS_PORT: '6379' }), ['REDIS_PORT is not a setting of this service; did you mean REDIS_URL?'], 'set by hand, it is a mistake');
});
