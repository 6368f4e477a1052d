// Starting the real process (`node dist/server.js`) with bad configuration (it stops, naming the
// variable) and with none (SQLite in DATA_DIR). Neither depends on TEST_STORE, so the SQLite part
// of npm test does not run this file twice.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from '../../src/sinks/sqlite-driver.js';
import t from 'tap';
import { CHROME_UA } from '../helpers/fixtures.js';
import { freePort, runScript, startService } from '../helpers/process.js';

t.test('bad configuration stops the real process at start, naming the variable', async (t) => {
  const run = async (env: Record<string, string>) => {
    const clean = { ...process.env };
    delete clean.DATABASE_URL;
    const { code, out } = await runScript('dist/server.js', { ...clean, ...env });
    return { code, stderr: out };
  };
  const badDb = await run({ DATABASE_URL: 'postgres://localhost/x' });
  t.equal(badDb.code, 1);
  t.match(badDb.stderr, /DATABASE_URL has scheme postgres: expected mysql:\/\/.* or sqlite:PATH/);
  const badPort = await run({ DATABASE_URL: 'mysql://root@127.0.0.1:3306/x', PORT: 'eighty' });
  t.equal(badPort.code, 1);
  t.match(badPort.stderr, /PORT must be an integer/);
});

t.test('zero configuration: no database settings, no ALLOWED_ORIGINS: it warns, accepts, and the SQLite file has the rows and sessions after SIGTERM', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bi-zero-'));
  const port = await freePort();
  const env: Record<string, string | undefined> = { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir };
  delete env.DATABASE_URL;
  delete env.ALLOWED_ORIGINS;
  delete env.HASH_SECRET;
  const service = startService(t, env);
  const base = `http://127.0.0.1:${port}`;
  t.ok(await service.ready(base), 'started');
  // As users start it: the environment the test gave, no test runner's module hooks added on the way
  // (tap's processinfo put its --import into every spawned process's NODE_OPTIONS).
  const environ = readFileSync(`/proc/${service.child.pid}/environ`, 'utf8').split('\0');
  t.equal(environ.find((v) => v.startsWith('NODE_OPTIONS='))?.slice('NODE_OPTIONS='.length), env.NODE_OPTIONS, 'NODE_OPTIONS as given');
  t.match(service.output(), /ALLOWED_ORIGINS is unset/);
  t.match(service.output(), new RegExp(`store ready: sqlite ${join(dataDir, 'analytics.db').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  // The built script and its opt-in events, found by the bundle in dist/ (src/paths.ts).
  for (const [path, file] of [['/collector.js', 'collector.js'], ['/collector.js?events', 'collector-events.js']] as const) {
    const res = await fetch(`${base}${path}`);
    t.equal(res.status, 200, path);
    const served = await res.text();
    t.ok(served.length > 0 && readFileSync(new URL(`../../dist/client/${file}`, import.meta.url), 'utf8').startsWith(served.slice(0, 40)), `${path} is dist/client/${file}`);
  }
  for (const url of ['https://example.com/', 'https://example.com/pricing']) {
    const res = await fetch(`${base}/collect`, { method: 'POST', body: JSON.stringify({ url }), headers: { 'user-agent': CHROME_UA, origin: 'https://example.com' } });
    t.equal(res.status, 204);
  }
  t.equal(await service.stop('SIGTERM'), 0);
  const db = new Database(join(dataDir, 'analytics.db'), { readonly: true });
  t.teardown(() => db.close());
  t.same((db.prepare('SELECT url FROM pageviews ORDER BY id').all() as { url: string }[]).map((r) => r.url), ['https://example.com/', 'https://example.com/pricing']);
  t.match(db.prepare('SELECT pageviews, exit_url FROM sessions').all(), [{ pageviews: 2, exit_url: 'https://example.com/pricing' }]);
  t.ok(readFileSync(join(dataDir, 'secret'), 'utf8').trim().length >= 32, 'a secret was generated');
});
