// req.log's pino child is made only when a request logs (src/app.ts, LazyChildLogger): a line a
// request does log still carries its request id, at the logger's level, with its own bindings.
import { Writable } from 'node:stream';
import pino from 'pino';
import t from 'tap';
import { buildApp } from '../src/app.js';
import { testConfig, type LogLine } from './helpers/app.js';
import { freshDatabase } from './helpers/db.js';

async function appLogging(t: { teardown(fn: () => unknown): void }, level: string) {
  const db = await freshDatabase(t);
  const logs: LogLine[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line));
      cb();
    },
  });
  const app = await buildApp(testConfig(db.url), { logger: pino({ level }, stream) });
  t.teardown(() => app.close());
  app.get('/logs-something', async (req) => {
    req.log.info({ item: 1 }, 'from the request');
    req.log.child({ part: 'inner' }).warn('from its child');
    req.log.debug('below the level');
    return { id: req.id };
  });
  await app.ready();
  return { app, logs };
}

t.test("a request's own log lines carry its request id", async (t) => {
  const { app, logs } = await appLogging(t, 'info');
  const res = await app.inject({ method: 'GET', url: '/logs-something' });
  const { id } = res.json() as { id: string };
  t.match(logs.find((l) => l.msg === 'from the request'), { reqId: id, item: 1, level: 30 });
  t.match(logs.find((l) => l.msg === 'from its child'), { reqId: id, part: 'inner', level: 40 });
  t.equal(logs.filter((l) => l.msg === 'below the level').length, 0);
  const again = (await app.inject({ method: 'GET', url: '/logs-something' })).json() as { id: string };
  t.not(again.id, id);
  t.equal(logs.filter((l) => l.reqId === again.id && l.msg === 'from the request').length, 1, 'each request its own id');
});

t.test('a quiet level stays quiet through req.log', async (t) => {
  const { app, logs } = await appLogging(t, 'error');
  await app.inject({ method: 'GET', url: '/logs-something' });
  t.equal(logs.filter((l) => /from/.test(l.msg)).length, 0);
});
