// The sink plugin on a bare instance: the store opened (and migrated), reached in the background, closed last.
import t from 'tap';
import sinkPlugin from '../../src/plugins/sink.js';
import { testConfig } from '../helpers/app.js';
import { freshDatabase } from '../helpers/db.js';
import { bareApp, UNREACHABLE_DATABASE } from './bare-app.js';

t.test('MariaDB: decorates sink and store, migrates and reaches it before the start goes on', async (t) => {
  const db = await freshDatabase(t, 'mysql');
  const { app, logs } = await bareApp(t, testConfig(db.url), [sinkPlugin]);
  t.equal(app.sink.description, `mysql 127.0.0.1:3306/${db.name}`);
  t.equal(app.store.reached, true);
  t.same(await db.query('SELECT COUNT(*) AS n FROM pageviews'), [{ n: 0 }], 'the tables are there');
  t.match(logs, [{ msg: 'migrations applied' }, { msg: `store ready: mysql 127.0.0.1:3306/${db.name}` }]);
});

t.test('SQLite: the file is migrated before the sink opens on it', async (t) => {
  const db = await freshDatabase(t, 'sqlite');
  const { app } = await bareApp(t, testConfig(db.url), [sinkPlugin]);
  t.equal(app.sink.description, `sqlite ${db.name}`);
  t.equal(app.store.reached, true);
  t.same(await db.query('SELECT COUNT(*) AS n FROM pageviews'), [{ n: 0 }]);
});

t.test('a database that refuses: the start goes on without it, saying once which setting to check', async (t) => {
  const started = Date.now();
  const { app, logs } = await bareApp(t, testConfig(UNREACHABLE_DATABASE), [sinkPlugin]);
  t.ok(Date.now() - started < 3000, 'no wait for a refusal');
  t.equal(app.store.reached, false);
  t.match(logs, [{ level: 50, store: 'mysql 127.0.0.1:1/away', msg: /^the store at DATABASE_URL cannot be reached \(.*\): starting without it/ }]);
  let waited = false;
  app.store.whenReached(() => {
    waited = true;
  });
  t.equal(waited, false, 'what needs the store waits');
});

t.test('onClose: stops reaching the store, then closes the pool', async (t) => {
  const db = await freshDatabase(t, 'mysql');
  const { app } = await bareApp(t, testConfig(db.url), [sinkPlugin]);
  const calls: string[] = [];
  const { store, sink } = app;
  const [storeClose, sinkClose] = [store.close.bind(store), sink.close.bind(sink)];
  store.close = () => {
    calls.push('store');
    storeClose();
  };
  sink.close = async () => {
    calls.push('sink');
    await sinkClose();
  };
  await app.close();
  t.same(calls, ['store', 'sink']);
  await t.rejects(sink.ping(), 'the pool is closed');
});
