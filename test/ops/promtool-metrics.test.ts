// `promtool check metrics` on the service's real /metrics output: no errors, no warnings.
import t from 'tap';
import { buildTestApp, CHROME_UA } from '../helpers/app.js';
import { PROMTOOL_MISSING, promtool } from '../helpers/promtool.js';

t.test('promtool check metrics passes with no warnings on /metrics', async (t) => {
  const h = await buildTestApp(t);
  // Every kind of series present: counters with labels, the histogram with observations, gauges.
  await h.app.inject({ method: 'POST', url: '/collect', payload: JSON.stringify([{ url: 'https://example.com/' }, {}]), headers: { 'user-agent': CHROME_UA } });
  await h.flush();
  const text = (await h.app.inject('/metrics')).body;
  const r = promtool(['check', 'metrics'], text);
  if (r === null) return t.fail(PROMTOOL_MISSING);
  t.equal(r.output, '', 'nothing to say');
  t.equal(r.status, 0, 'exit 0');
});
