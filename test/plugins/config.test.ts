// The config plugin on a bare Fastify: it hangs the config and the draining flag on the instance,
// visible to the plugins and routes registered after it, under the name others depend on.
import Fastify from 'fastify';
import fp from 'fastify-plugin';
import t from 'tap';
import { loadConfig } from '../../src/config.js';
import configPlugin from '../../src/plugins/config.js';

const { config } = loadConfig({ DATABASE_URL: 'mysql://root@127.0.0.1:3306/analytics', HASH_SECRET: 'x'.repeat(20), ALLOWED_ORIGINS: '*' });

t.test('decorates the instance with the config given and draining false', async (t) => {
  const app = Fastify();
  t.teardown(() => app.close());
  await app.register(configPlugin, { config });
  await app.ready();
  t.equal(app.config, config, 'the same object, not a copy');
  t.equal(app.draining, false);
});

t.test('the decorations reach sibling plugins and routes, and draining can be set for them to see', async (t) => {
  const app = Fastify();
  t.teardown(() => app.close());
  await app.register(configPlugin, { config });
  await app.register(async (child) => {
    child.get('/state', async () => ({ port: child.config.port, draining: child.draining }));
  });
  t.same((await app.inject('/state')).json(), { port: 3006, draining: false });
  app.draining = true;
  t.same((await app.inject('/state')).json(), { port: 3006, draining: true });
});

t.test("a plugin depending on 'config' loads after it, and refuses to load without it", async (t) => {
  const dependent = fp(
    async (app) => {
      app.decorate('seenPort', app.config.port);
    },
    { name: 'dependent', dependencies: ['config'] },
  );
  const app = Fastify();
  t.teardown(() => app.close());
  await app.register(configPlugin, { config });
  await app.register(dependent);
  await app.ready();
  t.equal((app as unknown as { seenPort: number }).seenPort, 3006);

  const bare = Fastify();
  t.teardown(() => bare.close());
  await t.rejects(async () => {
    await bare.register(dependent);
    await bare.ready();
  }, /dependency 'config'/);
});
