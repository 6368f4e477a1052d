// Logs for people: a flood of bad beacons is summarised, not echoed line by line.
import t from 'tap';
import { buildTestApp, CHROME_UA } from '../helpers/app.js';

const empties = JSON.stringify(Array.from({ length: 50 }, () => ({})));

t.test('100 requests of 50 invalid beacons add a handful of info lines: one per reason, with count and example', async (t) => {
  const h = await buildTestApp(t, { LOG_LEVEL: 'info' });
  const before = h.logs.length;
  for (let i = 0; i < 100; i++) {
    const res = await h.app.inject({ method: 'POST', url: '/collect', payload: empties, headers: { 'user-agent': CHROME_UA, 'content-type': 'text/plain' } });
    t.equal(res.statusCode, 204);
  }
  await h.app.inject({ method: 'POST', url: '/collect', payload: '{"url": "https://example.com/?token=leaked&x=1", oops}', headers: { 'user-agent': CHROME_UA } });
  t.ok(h.logs.length - before <= 2, `${h.logs.length - before} lines while the requests came in`);
  await h.app.close();
  const added = h.logs.slice(before);
  t.ok(added.length <= 5, `${added.length} lines in all (was one per beacon: 5,001)`);
  const summaries = added.filter((l) => typeof l.reason === 'string');
  t.match(summaries, [
    { level: 30, reason: 'invalid_schema', count: 5000, example: /./ },
    { level: 30, reason: 'invalid_json', count: 1, example: /token=\[redacted\]/ },
  ]);
  t.notMatch(JSON.stringify(added), /leaked/, 'the example is redacted');
});

t.test('at debug level each rejection keeps its own detail line', async (t) => {
  const h = await buildTestApp(t, { LOG_LEVEL: 'debug' });
  await h.app.inject({ method: 'POST', url: '/collect', payload: JSON.stringify([{}, {}, { url: 'https://example.com/?token=leaked' , type: 'nope' }]), headers: { 'user-agent': CHROME_UA } });
  const details = h.logs.filter((l) => l.msg === 'beacon rejected');
  t.equal(details.length, 3);
  t.ok(details.every((l) => l.level === 20 && l.reason === 'invalid_schema' && typeof l.detail === 'string'));
  t.notMatch(JSON.stringify(h.logs), /leaked/);
});
