// The shipped alert rules are valid (promtool check rules) and fire when they should (promtool test rules).
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { PROMTOOL_MISSING, promtool } from '../helpers/promtool.js';

const rules = fileURLToPath(new URL('../../deploy/prometheus/alerts.yml', import.meta.url));
const tests = fileURLToPath(new URL('../../deploy/prometheus/alerts.test.yml', import.meta.url));

t.test('promtool check rules: deploy/prometheus/alerts.yml', async (t) => {
  const r = promtool(['check', 'rules', rules]);
  if (r === null) return t.fail(PROMTOOL_MISSING);
  t.equal(r.status, 0, r.output);
  t.match(r.output, /SUCCESS: \d+ rules found/);
  t.notMatch(r.output, /WARNING/i, 'no warnings');
});

t.test('promtool test rules: deploy/prometheus/alerts.test.yml', async (t) => {
  const r = promtool(['test', 'rules', tests]);
  if (r === null) return t.fail(PROMTOOL_MISSING);
  t.equal(r.status, 0, r.output);
  t.match(r.output, /SUCCESS/);
});
