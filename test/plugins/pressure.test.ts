// The pressure plugin on a bare instance: event-loop and memory sampling, never an answer of its own.
import t from 'tap';
import Fastify from 'fastify';
import pressurePlugin from '../../src/plugins/pressure.js';

function busy(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end);
}

t.test('decorates memoryUsage and isUnderPressure, and adds no status route', async (t) => {
  const app = Fastify();
  t.teardown(() => app.close());
  await app.register(pressurePlugin);
  await app.ready();
  t.match(app.memoryUsage(), { heapUsed: Number, rssBytes: Number, eventLoopDelay: Number, eventLoopUtilized: Number });
  t.equal(app.isUnderPressure(), false);
  t.equal((await app.inject('/status')).statusCode, 404);
});

t.test('an event loop stalled past a second is pressure, yet every request is still answered by its route', async (t) => {
  const app = Fastify();
  t.teardown(() => app.close());
  await app.register(pressurePlugin);
  app.get('/collect', async () => 'taken');
  await app.ready();
  // Stalls longer than MAX_EVENT_LOOP_DELAY_MS back to back, yielding only to the timers: a
  // sample is the mean delay since the last one, and idle ticks before the first stall dilute it.
  let pressured = false;
  for (let i = 0; i < 6 && !pressured; i++) {
    busy(1100);
    await new Promise((resolve) => setImmediate(resolve));
    pressured = app.isUnderPressure();
  }
  t.ok(pressured, 'under pressure');
  const res = await app.inject('/collect');
  t.same([res.statusCode, res.body], [200, 'taken'], 'not a 503 from the plugin');
});
