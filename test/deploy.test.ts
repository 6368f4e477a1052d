// There is no Docker engine here: read docker-compose.yml and the Dockerfile and check that they
// agree with the configuration schema and the service (variables, ports, health path, files).
import { existsSync, readFileSync } from 'node:fs';
import t from 'tap';
import { parse } from 'yaml';
import { EnvSchema, loadConfig } from '../src/config.js';
import { buildTestApp } from './helpers/app.js';

const root = new URL('../', import.meta.url);
const compose = parse(readFileSync(new URL('docker-compose.yml', root), 'utf8')) as {
  services: Record<string, { image?: string; build?: string; environment?: Record<string, string | number>; ports?: string[]; depends_on?: Record<string, { condition: string }>; healthcheck?: { test: string[] }; volumes?: string[]; init?: boolean }>;
  volumes: Record<string, unknown>;
};
const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8');
const instructions = dockerfile
  .replace(/\\\n\s*/g, ' ')
  .split('\n')
  .filter((l) => l.trim() !== '' && !l.trim().startsWith('#'))
  .map((l) => {
    const [word, ...rest] = l.trim().split(/\s+/);
    return { word: (word as string).toUpperCase(), args: rest.join(' ') };
  });
const schemaVars = new Set([...Object.keys(EnvSchema.properties)]);

/** The value compose would give when nothing is set in the environment: `${X:-default}` -> default. */
function composeDefault(value: string | number): string | undefined {
  const s = String(value);
  const m = /^\$\{(\w+)(:-|:\?)(.*)\}$/.exec(s);
  if (m === null) return s.replace(/\$\{(\w+):-([^}]*)\}/g, '$2');
  return m[2] === ':-' ? m[3] : undefined;
}

const collector = compose.services.collector;
const db = compose.services.db;

t.test('docker-compose.yml: every variable given to the service is one the config reads, with a valid default', async (t) => {
  t.ok(collector && db, 'a db and a collector service');
  const env = collector?.environment ?? {};
  for (const name of Object.keys(env)) t.ok(schemaVars.has(name), `${name} is in the config schema`);
  // And the other way round: a setting missing here could not be set through compose at all.
  // The image fixes where it listens and keeps its data (Dockerfile), and compose runs it in production.
  // ADMIN_HOST neither: inside a container the address to bind is the container's own; which host
  // interface may reach the admin port is chosen where compose publishes it (e.g. "127.0.0.1:9100:9100").
  const fixedByImage = new Set(['HOST', 'ADMIN_HOST', 'DATA_DIR', 'SPOOL_DIR', 'NODE_ENV']);
  for (const name of schemaVars) if (!fixedByImage.has(name)) t.ok(name in env, `${name} passes through compose`);
  // The documented defaults pass validation together (ALLOWED_ORIGINS must be given: use an example).
  const defaults: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    const d = composeDefault(value);
    if (d !== undefined && d !== '') defaults[name] = d;
  }
  defaults.ALLOWED_ORIGINS = 'https://example.com';
  const { config } = loadConfig({ ...defaults, NODE_ENV: 'production', HASH_SECRET: 'compose-test-secret-0123' });
  t.equal(config.store, 'mysql');
  t.equal(config.port, 3006);
  t.match(String(env.ALLOWED_ORIGINS), /:\?/, 'compose refuses to start without ALLOWED_ORIGINS, with a message');
  const url = new URL(composeDefault(env.DATABASE_URL as string) as string);
  t.equal(url.hostname, 'db', 'DATABASE_URL points at the db service');
  t.equal(url.port, '3306');
  t.equal(url.pathname, `/${db?.environment?.MARIADB_DATABASE}`);
  t.equal(decodeURIComponent(url.username), db?.environment?.MARIADB_USER);
  t.equal(url.password, '', 'no password pasted into the URL, where / # @ would break it');
  t.equal(composeDefault(env.DATABASE_PASSWORD as string), composeDefault(db?.environment?.MARIADB_PASSWORD as string), 'DATABASE_PASSWORD is the db service\'s');
  t.equal(decodeURIComponent(new URL(config.databaseUrl).password), composeDefault(db?.environment?.MARIADB_PASSWORD as string));
});

t.test('docker-compose.yml: MariaDB with a healthcheck and a named volume; the service waits for it', async (t) => {
  t.match(db?.image, /^mariadb:(10\.11|11\.4)/);
  t.ok(db?.healthcheck?.test.length, 'db healthcheck');
  t.same(collector?.depends_on, { db: { condition: 'service_healthy' } });
  const named = (v: string) => v.split(':')[0] as string;
  t.ok(db?.volumes?.some((v) => named(v) in compose.volumes), 'db data in a named volume');
  t.ok(collector?.volumes?.some((v) => named(v) in compose.volumes && v.endsWith(':/app/data')), 'DATA_DIR (spool, WAL) in a named volume');
  t.equal(collector?.build, '.', 'built from the repository Dockerfile');
  t.equal(collector?.init, true);
  const [published] = collector?.ports ?? [];
  t.match(published, /:3006$/, 'the container port is PORT');
});

t.test('Dockerfile: multi-stage, production deps, non-root, NODE_ENV=production, exec-form CMD, healthcheck on /health', async (t) => {
  const from = instructions.filter((i) => i.word === 'FROM');
  t.ok(from.length >= 2, 'multi-stage');
  t.match(dockerfile, /npm prune --omit=dev|npm ci --omit=dev/, 'production dependencies only');
  const user = instructions.filter((i) => i.word === 'USER').at(-1);
  t.ok(user && user.args !== 'root' && user.args !== '0', 'runs as a non-root user');
  const envs = instructions.filter((i) => i.word === 'ENV').map((i) => i.args.split('=')[0] as string);
  for (const name of envs) t.ok(schemaVars.has(name) || name === 'NODE_ENV', `ENV ${name} is in the config schema`);
  t.match(dockerfile, /ENV NODE_ENV=production/);
  t.match(dockerfile, /ENV PORT=3006/);
  t.match(instructions.find((i) => i.word === 'EXPOSE')?.args, /^3006$/);
  const cmd = instructions.filter((i) => i.word === 'CMD').at(-1);
  t.same(JSON.parse(cmd?.args ?? 'null'), ['node', 'dist/server.js'], 'exec form: SIGTERM reaches node');
  const health = instructions.find((i) => i.word === 'HEALTHCHECK');
  t.match(health?.args, /\/health/);
  for (const copy of instructions.filter((i) => i.word === 'COPY' && !i.args.includes('--from'))) {
    const parts = copy.args.split(/\s+/).filter((p) => !p.startsWith('--'));
    for (const source of parts.slice(0, -1)) t.ok(existsSync(new URL(source, root)), `COPY source ${source} exists`);
  }
  t.ok(existsSync(new URL('src/server.ts', root)), 'dist/server.js is built from src/server.ts');
  // The runtime stage: the service finds its files from the folder with package.json and
  // migrations/ (src/paths.ts), and loads the packages left out of the bundle from node_modules/.
  const last = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  for (const needed of ['package.json', 'migrations', 'node_modules', 'dist']) {
    t.match(last, new RegExp(`^COPY .*\\b${needed.replace('.', '\\.')}\\b.* \\./${needed === 'package.json' ? '' : needed}`, 'm'), `the runtime image has ${needed}`);
  }
});

t.test('the health path in the Dockerfile is a route of the service', async (t) => {
  const h = await buildTestApp(t);
  t.ok(h.app.hasRoute({ method: 'GET', url: '/health' }));
  t.equal((await h.app.inject('/health')).statusCode, 200);
});

t.test('Dockerfile: the build stage copies what `npm run build` reads (the client script build too)', async (t) => {
  const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { scripts: Record<string, string> };
  t.match(pkg.scripts.build, /build:client/, 'npm run build also builds the collector script');
  const clientBuild = /node (\S+)/.exec(pkg.scripts['build:client'] ?? '')?.[1];
  t.ok(clientBuild, 'build:client runs a script');
  const copied = instructions.filter((i) => i.word === 'COPY' && !i.args.includes('--from')).flatMap((i) => i.args.split(/\s+/).slice(0, -1));
  t.ok(copied.some((source) => clientBuild?.startsWith(source.replace(/^\.\//, ''))), `${clientBuild} is copied into the build stage`);
  t.ok(copied.includes('src'), 'src (with src/client) is copied');
});

t.test('docker-compose.yml: scale-out variables and an optional Redis service', async (t) => {
  const env = collector?.environment ?? {};
  t.equal(composeDefault(env.WORKERS as string), '1');
  t.equal(composeDefault(env.REDIS_URL as string), '');
  const redis = compose.services.redis as { image?: string; profiles?: string[] } | undefined;
  t.match(redis?.image, /^redis:7/);
  t.same(redis?.profiles, ['scale-out'], 'off unless asked for');
  const { config } = loadConfig({ DATABASE_URL: 'mysql://beacon:beacon@db:3306/analytics', REDIS_URL: 'redis://redis:6379', WORKERS: '2', ALLOWED_ORIGINS: 'https://example.com', HASH_SECRET: 'compose-test-secret-0123' });
  t.match(config, { redisUrl: 'redis://redis:6379', workers: 2 }, 'the documented scale-out settings load');
});
