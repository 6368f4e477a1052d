// WORKERS and spools: the primary replays a spool left by an earlier run before forking, and a
// single process takes over what workers left in theirs.
import t from 'tap';
import { count, databaseBehindProxy, env, logLines, postBatch } from '../helpers/cluster.js';
import { freePort, startService, until } from '../helpers/process.js';

t.test('the primary replays a spool left by an earlier run before the workers start', async (t) => {
  const { db, dataDir, proxy, via } = await databaseBehindProxy(t);

  // A single process whose database goes away: its rows end in the spool at shutdown.
  const port = await freePort();
  const first = startService(t, env(db, port, dataDir, { DATABASE_URL: via.toString(), SHUTDOWN_TIMEOUT_MS: '500' }));
  t.ok(await first.ready(`http://127.0.0.1:${port}`, 30_000));
  proxy.cut();
  t.equal((await postBatch(`http://127.0.0.1:${port}`, 0, 50)).status, 204);
  t.equal(await first.stop('SIGTERM'), 0);
  t.match(first.output(), /the rest is in the spool/);
  t.equal(await count(db), 0);

  // Two workers now, on the healed database: the primary writes the spool before forking.
  proxy.heal();
  const port2 = await freePort();
  const second = startService(t, env(db, port2, dataDir, { WORKERS: '2' }));
  t.ok(await until(async () => (await count(db)) === 50, 30_000, 100), 'the 50 spooled rows are written');
  t.ok(await second.ready(`http://127.0.0.1:${port2}`, 30_000));
  const lines = logLines(second.output());
  const replayed = lines.findIndex((l) => l.msg === 'replaying a spool before forking the workers');
  const forked = lines.findIndex((l) => l.msg === 'primary started its workers');
  t.ok(replayed >= 0 && forked > replayed, 'replayed, then forked');
  t.equal(await second.stop('SIGTERM'), 0);
  t.equal(await count(db), 50, 'nothing twice');
});

t.test("WORKERS going back to 1: the single process takes over the workers' spools", async (t) => {
  const { db, dataDir, proxy, via } = await databaseBehindProxy(t);

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const clustered = startService(t, env(db, port, dataDir, { DATABASE_URL: via.toString(), WORKERS: '2', SHUTDOWN_TIMEOUT_MS: '500' }));
  t.ok(await clustered.ready(base, 30_000));
  t.ok(await until(async () => logLines(clustered.output()).filter((l) => l.msg === 'worker listening').length === 2, 30_000, 50));
  proxy.cut();
  const sends: Promise<{ status: number }>[] = [];
  for (let i = 0; i < 20; i++) sends.push(postBatch(base, i * 10, 10));
  t.ok((await Promise.all(sends)).every((r) => r.status === 204));
  t.equal(await clustered.stop('SIGTERM'), 0);
  t.equal(await count(db), 0, 'the database was away: all 200 in the workers’ spools');

  proxy.heal();
  const port2 = await freePort();
  const single = startService(t, env(db, port2, dataDir));
  t.ok(await single.ready(`http://127.0.0.1:${port2}`, 30_000));
  t.ok(await until(async () => (await count(db)) === 200, 30_000, 100), 'all 200 written by the single process');
  t.match(single.output(), /a worker's spool from an earlier run was taken over/);
  t.equal(await single.stop('SIGTERM'), 0);
  t.equal(await count(db), 200);
});
