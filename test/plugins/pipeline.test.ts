// The pipeline plugin on a bare instance with what it depends on (real MariaDB): the collector built
// from config, salts ready before the first request, sessions warmed from the spool.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fp from 'fastify-plugin';
import t, { type Test } from 'tap';
import { Spool } from '../../src/buffer/spool.js';
import type { RequestContext } from '../../src/pipeline/collector.js';
import { SaltStore } from '../../src/pipeline/salt-store.js';
import geoipPlugin from '../../src/plugins/geoip.js';
import ingestEventsPlugin from '../../src/plugins/ingest-events.js';
import metricsPlugin from '../../src/plugins/metrics.js';
import pipelinePlugin from '../../src/plugins/pipeline.js';
import queryStripPlugin from '../../src/plugins/query-strip.js';
import sessionsPlugin from '../../src/plugins/sessions.js';
import sinkPlugin from '../../src/plugins/sink.js';
import writerEventsPlugin from '../../src/plugins/writer-events.js';
import writerPlugin from '../../src/plugins/writer.js';
import type { SessionSnapshot } from '../../src/sinks/sink.js';
import { CHROME_UA, metricValue, testConfig } from '../helpers/app.js';
import { freshDatabase } from '../helpers/db.js';
import { row } from '../helpers/rows.js';
import { bareApp } from './bare-app.js';

const before = [metricsPlugin, queryStripPlugin, ingestEventsPlugin, writerEventsPlugin, geoipPlugin, sinkPlugin, sessionsPlugin, writerPlugin];

/** Records what the session store is warmed with from here on (registered just before the pipeline). */
function recordWarm(warmed: SessionSnapshot[][]) {
  return fp(async (app) => {
    const warm = app.sessions.warm.bind(app.sessions);
    app.sessions.warm = (snapshots) => {
      warmed.push([...snapshots]);
      return warm(snapshots);
    };
  }, { name: 'record-warm', dependencies: ['sessions'] });
}

const ctx = (ip: string): RequestContext => ({ origin: undefined, ip, userAgent: CHROME_UA, peer: ip, cdnCountry: undefined, doNotTrack: false });

async function setup(t: Test, env: Record<string, string> = {}) {
  const db = await freshDatabase(t, 'mysql');
  const warmed: SessionSnapshot[][] = [];
  const config = testConfig(db.url, { GEOIP_DB: 'off', ...env });
  const bare = await bareApp(t, config, [...before, recordWarm(warmed), pipelinePlugin]);
  return { ...bare, db, warmed, config };
}
t.test("decorates the collector and the salts; today's salt is in the database before the first request", async (t) => {
  const { app, db } = await setup(t);
  t.ok(app.hasDecorator('collector') && app.hasDecorator('salts'));
  const today = new Date().toISOString().slice(0, 10);
  t.same(await db.query('SELECT COUNT(*) AS n FROM salts WHERE day = ?', [today]), [{ n: 1 }]);
  await app.collector.ingest({ ok: true, items: [{ url: 'https://shop.example/a' }] }, ctx('203.0.113.9'));
  t.equal(app.writer.size, 1, 'the row went to the writer');
  const text = await app.metrics.registry.metrics();
  t.equal(metricValue(text, 'beacon_accepted_total'), 1, 'counted through ingest-events');
});

t.test('EXCLUDE_IPS reaches the collector', async (t) => {
  const { app } = await setup(t, { EXCLUDE_IPS: '203.0.113.0/24' });
  await app.collector.ingest({ ok: true, items: [{ url: 'https://shop.example/a' }] }, ctx('203.0.113.9'));
  await app.collector.ingest({ ok: true, items: [{ url: 'https://shop.example/b' }] }, ctx('198.51.100.9'));
  t.equal(app.writer.size, 1);
  t.equal(metricValue(await app.metrics.registry.metrics(), 'beacon_rejected_total{reason="excluded_ip"}'), 1);
});

t.test('URL_QUERY_STRIP reaches the collector', async (t) => {
  const { app, db } = await setup(t, { URL_QUERY_STRIP: 'ticket' });
  await app.collector.ingest({ ok: true, items: [{ url: 'https://shop.example/a?ticket=1&page=2' }] }, ctx('203.0.113.9'));
  await app.writer.drain(5000);
  t.same(await db.query('SELECT url FROM pageviews'), [{ url: 'https://shop.example/a?page=2' }]);
});

t.test('spooled sessions warm the store at start, the newest snapshot of each winning whatever their order', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bi-pipeline-plugin-'));
  const now = Date.now();
  const start = { id: '0b7f1c2e-3d4a-4b5c-8d6e-7f8091a2b3c4', hostname: 'shop.example', startedAt: now - 60_000, entryUrl: 'https://shop.example/', entryReferrer: null, utmSource: null, utmMedium: null, utmCampaign: null, utmTerm: null, utmContent: null };
  const snapshot = (pageviews: number, lastSeenAt: number): SessionSnapshot => ({ start, userHash: 'abcdef0123456789', lastSeenAt, pageviews, events: 0, exitUrl: `https://shop.example/${pageviews}` });
  // Two processes continued the session (a worker's spool taken over): equal counts, the later one second.
  const [early, late] = [snapshot(3, now - 20_000), snapshot(3, now - 10_000)];
  const spool = await Spool.open({ dir, maxBytes: 1e9 });
  await spool.append([row(1, { session: snapshot(2, now - 30_000) }), row(2, { session: early }), row(3, { session: late }), row(4)]).durable;
  await spool.close();
  const { warmed } = await setup(t, { SPOOL_DIR: dir });
  t.same(warmed, [[late]], 'one snapshot: the most interactions, then the latest');
});

t.test('no spool: the store is warmed from the database only', async (t) => {
  const { warmed } = await setup(t);
  t.same(warmed, []);
});

t.test('the salt timer starts at ready and stops at close', async (t) => {
  const calls: string[] = [];
  const { start, stop } = SaltStore.prototype;
  t.teardown(() => Object.assign(SaltStore.prototype, { start, stop }));
  SaltStore.prototype.start = function () {
    calls.push('start');
    start.call(this);
  };
  SaltStore.prototype.stop = function () {
    calls.push('stop');
    stop.call(this);
  };
  const { app } = await setup(t);
  t.same(calls, []);
  await app.ready();
  t.same(calls, ['start']);
  await app.close();
  t.same(calls, ['start', 'stop']);
});
