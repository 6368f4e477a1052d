// The query-strip plugin on a bare instance: one stripper, built from URL_QUERY_STRIP.
import t from 'tap';
import queryStripPlugin from '../../src/plugins/query-strip.js';
import { testConfig } from '../helpers/app.js';
import { bareApp, UNREACHABLE_DATABASE } from './bare-app.js';

t.test('decorates queryStrip with URL_QUERY_STRIP: stored URLs and logged text lose the listed parameters', async (t) => {
  const { app } = await bareApp(t, testConfig(UNREACHABLE_DATABASE, { URL_QUERY_STRIP: 'ticket' }), [queryStripPlugin]);
  t.equal(app.queryStrip.strip(new URL('https://a.example/p?ticket=abc&page=2')).href, 'https://a.example/p?page=2');
  t.equal(app.queryStrip.redact('bad url https://a.example/?ticket=abc'), 'bad url https://a.example/?ticket=[redacted]');
  t.equal(app.queryStrip.redact('https://a.example/?token=abc'), 'https://a.example/?token=abc', 'only what the setting lists');
});

t.test('the default list applies when the setting is unset', async (t) => {
  const { app } = await bareApp(t, testConfig(UNREACHABLE_DATABASE), [queryStripPlugin]);
  t.equal(app.queryStrip.redact('https://a.example/?email=a@b.example&page=2'), 'https://a.example/?email=[redacted]&page=2');
});
