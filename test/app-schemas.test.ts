// The app declares no route schema (beacons are checked by TypeBox's compiled checker in the
// pipeline), so it starts without Fastify's schema compilers (src/app.ts, noRouteSchemas): a route
// given a schema stops the start with a message that says why, instead of going unvalidated.
import t from 'tap';
import { buildApp } from '../src/app.js';
import { testConfig } from './helpers/app.js';
import { freshDatabase } from './helpers/db.js';

t.test('a route with a body schema stops the start, naming the reason', async (t) => {
  const db = await freshDatabase(t);
  const app = await buildApp(testConfig(db.url), { logger: false });
  t.teardown(() => app.close());
  app.post('/with-schema', { schema: { body: { type: 'object', required: ['a'] } } }, async () => ({}));
  await t.rejects(async () => { await app.ready(); }, /a route declares a schema, but Fastify's schema compilers are not loaded/);
});

t.test('a route with a response schema stops the start too', async (t) => {
  const db = await freshDatabase(t);
  const app = await buildApp(testConfig(db.url), { logger: false });
  t.teardown(() => app.close());
  app.get('/with-response', { schema: { response: { 200: { type: 'object' } } } }, async () => ({}));
  await t.rejects(async () => { await app.ready(); }, /schema compilers are not loaded/);
});

t.test("the app's own routes start and answer without them", async (t) => {
  const db = await freshDatabase(t);
  const app = await buildApp(testConfig(db.url), { logger: false });
  t.teardown(() => app.close());
  await app.ready();
  const res = await app.inject({ method: 'POST', url: '/collect', headers: { 'content-type': 'text/plain' }, payload: '{"url":"https://a.example/x"}' });
  t.equal(res.statusCode, 204);
  t.equal((await app.inject('/ready')).statusCode, 200);
});
