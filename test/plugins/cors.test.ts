// The cors plugin on a bare Fastify with the config it reads: the collect paths and the script
// answer CORS for allowed origins only, echoing the origin (never `*`); the ops routes never do.
import type { FastifyInstance } from 'fastify';
import t from 'tap';
import corsPlugin from '../../src/plugins/cors.js';
import { testConfig } from '../helpers/app.js';
import { bareApp, UNREACHABLE_DATABASE } from './bare-app.js';

const SITE = 'https://shop.example';
const OTHER = 'https://evil.example';

/** The plugin under `env`, with stand-ins for the routes whose paths it reads from config. */
async function app(t: { teardown(fn: () => unknown): void }, env: Record<string, string>): Promise<FastifyInstance> {
  const { app } = await bareApp(t, testConfig(UNREACHABLE_DATABASE, env), [corsPlugin]);
  const config = app.config;
  for (const url of [config.collectPath, config.scriptPath, '/metrics']) app.post(url, async () => 'ok');
  app.get(config.scriptPath, async () => 'script');
  return app;
}

const preflight = (a: FastifyInstance, url: string, origin: string) =>
  a.inject({ method: 'OPTIONS', url, headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });

t.test('a preflight from an allowed origin is answered: that origin, credentials, POST, Content-Type, a day', async (t) => {
  const a = await app(t, { ALLOWED_ORIGINS: `${SITE},https://www.shop.example` });
  const res = await preflight(a, '/collect', SITE);
  t.equal(res.statusCode, 204);
  t.match(res.headers, {
    'access-control-allow-origin': SITE,
    'access-control-allow-credentials': 'true',
    'access-control-allow-methods': 'POST, OPTIONS',
    'access-control-allow-headers': 'Content-Type',
    'access-control-max-age': '86400',
  });
  t.match(res.headers.vary, /Origin/);
  t.equal((await preflight(a, '/collect?x=1', 'https://www.shop.example')).headers['access-control-allow-origin'], 'https://www.shop.example', 'with a query string too');
  t.equal((await preflight(a, '/collect.gif', SITE)).headers['access-control-allow-origin'], SITE, 'the pixel');
  const loose = await a.inject({ method: 'OPTIONS', url: '/collect', headers: { origin: SITE } });
  t.equal(loose.statusCode, 204, 'without Access-Control-Request-Method: still 204, no strict 400');
});

t.test('another origin gets no CORS headers, so the browser does not send', async (t) => {
  const a = await app(t, { ALLOWED_ORIGINS: SITE });
  const res = await preflight(a, '/collect', OTHER);
  // Left to the routes: the collect routes' own OPTIONS answers it 204 in the app; here none does.
  t.equal(res.statusCode, 404, 'not answered by the plugin');
  t.equal(res.headers['access-control-allow-origin'], undefined);
  t.equal(res.headers['access-control-allow-credentials'], undefined);
  const post = await a.inject({ method: 'POST', url: '/collect', headers: { origin: OTHER } });
  t.equal(post.headers['access-control-allow-origin'], undefined, 'nor on the request itself');
  t.equal((await a.inject({ method: 'POST', url: '/collect', headers: { origin: SITE } })).headers['access-control-allow-origin'], SITE, 'while the allowed one gets them');
});

t.test('the collector script gets CORS; the ops routes never, even for an allowed origin', async (t) => {
  const a = await app(t, { ALLOWED_ORIGINS: SITE, SCRIPT_PATH: '/js/site.js' });
  const script = await a.inject({ method: 'GET', url: '/js/site.js', headers: { origin: SITE } });
  t.equal(script.headers['access-control-allow-origin'], SITE);
  const ops = await preflight(a, '/metrics', SITE);
  t.equal(ops.headers['access-control-allow-origin'], undefined);
  t.equal((await a.inject({ method: 'POST', url: '/metrics', headers: { origin: SITE } })).headers['access-control-allow-origin'], undefined);
});

t.test('any origin when ALLOWED_ORIGINS is * or unset: echoed, never a literal *', async (t) => {
  for (const env of [{ ALLOWED_ORIGINS: '*' }, {}] as Record<string, string>[]) {
    const a = await app(t, env);
    const res = await preflight(a, '/collect', OTHER);
    t.equal(res.headers['access-control-allow-origin'], OTHER, JSON.stringify(env));
    t.equal(res.headers['access-control-allow-credentials'], 'true');
  }
  const a = await app(t, { ALLOWED_ORIGINS: '*' });
  t.equal((await a.inject({ method: 'POST', url: '/collect' })).headers['access-control-allow-origin'], undefined, 'no Origin header, nothing to echo');
});

t.test('COLLECT_PATH moves it: the default path gets nothing', async (t) => {
  const a = await app(t, { ALLOWED_ORIGINS: SITE, COLLECT_PATH: '/api/e' });
  t.equal((await preflight(a, '/api/e', SITE)).headers['access-control-allow-origin'], SITE);
  t.equal((await preflight(a, '/api/e.gif', SITE)).headers['access-control-allow-origin'], SITE);
  t.equal((await preflight(a, '/collect', SITE)).headers['access-control-allow-origin'], undefined);
});
