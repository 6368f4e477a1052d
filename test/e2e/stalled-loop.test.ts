// A stalled event loop, seen from outside: /health shows the delay and memory, /ready turns 503,
// /collect still answers 204. Store-independent (and CPU-bound: it busy-waits 1.1 s at a time until
// /ready turns 503), so the SQLite part of npm test does not run it a second time, as it did inside
// hostile.test.ts.
import t from 'tap';
import { buildTestApp, CHROME_UA } from '../helpers/app.js';

t.test('/health shows event-loop delay and memory; /ready turns 503 when the loop stalls', async (t) => {
  const h = await buildTestApp(t);
  const health = (await h.app.inject('/health')).json();
  t.match(health, { pressure: { eventLoopDelay: Number, rssBytes: Number, heapUsed: Number, eventLoopUtilized: Number }, underPressure: false });
  const metrics = (await h.app.inject('/metrics')).body;
  t.match(metrics, /nodejs_eventloop_lag_p99_seconds/);
  t.match(metrics, /nodejs_heap_size_used_bytes/);
  // A stalled event loop: long busy stretches with only a moment between them, until /ready says so
  // (a sample is the mean delay since the last one, so it takes two stretches or more; at most six).
  let ready = await h.app.inject('/ready');
  for (let i = 0; i < 6 && ready.statusCode !== 503; i++) {
    const until = Date.now() + 1100;
    while (Date.now() < until);
    await new Promise((resolve) => setImmediate(resolve));
    ready = await h.app.inject('/ready');
  }
  t.equal(ready.statusCode, 503);
  t.match(ready.json(), { reason: 'event loop stalled' });
  t.equal((await h.app.inject({ method: 'POST', url: '/collect', payload: '{"url":"https://example.com/"}', headers: { 'user-agent': CHROME_UA } })).statusCode, 204, '/collect still answers 204 under pressure');
});
