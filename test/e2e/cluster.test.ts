// WORKERS=2: one port served by two worker processes; the primary sums the workers' metrics and
// drains them all on SIGTERM. Spools: cluster-spools.test.ts; crashes: cluster-crash.test.ts.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { metricValue } from '../helpers/fixtures.js';
import { count, env, logLines, postBatch } from '../helpers/cluster.js';
import { freshDatabase } from '../helpers/db.js';
import { freePort, runScript, startService, until } from '../helpers/process.js';
import { PROMTOOL_MISSING, promtool } from '../helpers/promtool.js';

t.test('WORKERS=2 refuses the embedded SQLite store at start, naming the variable', async (t) => {
  const { code, out } = await runScript('dist/server.js', {
    PATH: process.env.PATH,
    DATA_DIR: mkdtempSync(join(tmpdir(), 'bi-cluster-')),
    WORKERS: '2',
    ALLOWED_ORIGINS: '*',
  });
  t.equal(code, 1);
  t.match(out, /WORKERS \(2\) needs MySQL/);
});

t.test('WORKERS=2 serves one port from two processes, sums their metrics, and drains both on SIGTERM', async (t) => {
  const db = await freshDatabase(t);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const service = startService(t, env(db, port, mkdtempSync(join(tmpdir(), 'bi-cluster-')), { WORKERS: '2' }));
  t.ok(await service.ready(base, 30_000), 'ready');
  // /ready answers as soon as one worker listens: wait for the second before sending.
  t.ok(await until(async () => logLines(service.output()).filter((l) => l.msg === 'worker listening').length === 2, 30_000, 50), 'two workers listening');
  t.match(service.output(), /without REDIS_URL/, 'warns that sessions are per process');

  // Several connections at once: the primary hands them to the workers in turn.
  const sends: Promise<{ status: number }>[] = [];
  for (let i = 0; i < 40; i++) sends.push(postBatch(base, i * 25, 25));
  const answers = await Promise.all(sends);
  t.ok(answers.every((r) => r.status === 204), '204 each');

  const metrics = await (await fetch(`${base}/metrics`)).text();
  t.equal(metricValue(metrics, 'beacon_received_total'), 1000, 'one scrape counts every worker');
  t.equal(metricValue(metrics, 'beacon_buffer_rows'), 1000, 'gauges are summed too');
  const check = promtool(['check', 'metrics'], metrics);
  if (check === null) t.fail(PROMTOOL_MISSING);
  else t.same(check, { status: 0, output: '' }, 'the summed text passes promtool check metrics');
  t.equal(await count(db), 0, 'still buffered (60 s flush interval)');

  t.equal(await service.stop('SIGTERM'), 0, 'the primary exits 0 once every worker drained');
  t.equal(await count(db), 1000, 'every answered beacon stored');
  const drained = logLines(service.output()).filter((l) => l.msg === 'shutdown: buffer drained');
  if (drained.length !== 2) t.comment(service.output());
  t.equal(drained.length, 2, 'both workers drained');
  t.ok(drained.every((l) => (l.written ?? 0) > 0), 'both workers had taken beacons');
  t.equal(drained.reduce((sum, l) => sum + (l.written ?? 0), 0), 1000);
});
