// PLAUSIBLE_PATH and UMAMI_PATH as the configuration reads them.
import t from 'tap';
import { loadConfig } from '../../src/config.js';

const base = { DATABASE_URL: 'mysql://u:p@127.0.0.1:3306/db', HASH_SECRET: 'x'.repeat(16), DATA_DIR: '/tmp', ALLOWED_ORIGINS: 'https://example.com' };
const load = (env: Record<string, string>) => loadConfig({ ...base, ...env }).config;

t.test('on by default at the trackers\' own paths; off turns each off', async (t) => {
  t.match(load({}), { plausiblePath: '/api/event', umamiPath: '/api/send' });
  t.match(load({ PLAUSIBLE_PATH: 'off', UMAMI_PATH: 'OFF' }), { plausiblePath: null, umamiPath: null });
  t.match(load({ PLAUSIBLE_PATH: '/stats/e', UMAMI_PATH: '/stats/s' }), { plausiblePath: '/stats/e', umamiPath: '/stats/s' });
});

t.test('a path that is no path, or one already served, stops the start naming the variable', async (t) => {
  const refused = (env: Record<string, string>, variable: string, what: string) =>
    t.throws(() => load(env), { name: 'ConfigError', variable }, what);
  refused({ PLAUSIBLE_PATH: 'api/event' }, 'PLAUSIBLE_PATH', 'not absolute');
  refused({ UMAMI_PATH: '/api/send/' }, 'UMAMI_PATH', 'a trailing slash');
  refused({ UMAMI_PATH: '/health' }, 'UMAMI_PATH', 'an ops route');
  refused({ PLAUSIBLE_PATH: '/collect' }, 'PLAUSIBLE_PATH', 'COLLECT_PATH');
  refused({ PLAUSIBLE_PATH: '/collect.gif' }, 'PLAUSIBLE_PATH', 'the pixel');
  refused({ UMAMI_PATH: '/collector.js' }, 'UMAMI_PATH', 'SCRIPT_PATH');
  refused({ COLLECT_PATH: '/api/send/debug' }, 'UMAMI_PATH', 'its debug twin is COLLECT_PATH');
  refused({ UMAMI_PATH: '/api/event' }, 'UMAMI_PATH', 'the other tracker\'s path');
  refused({ UMAMI_PATH: '/api/event/debug' }, 'UMAMI_PATH', 'the other tracker\'s debug twin');
});
