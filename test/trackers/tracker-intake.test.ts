import t from 'tap';
import type { Collector } from '../../src/pipeline/collector.js';
import type { IngestEvents } from '../../src/pipeline/ingest-events.js';
import { TrackerIntake } from '../../src/trackers/tracker-intake.js';

function intake(origins: null | '*' | string[]) {
  const seen: unknown[] = [];
  const events: IngestEvents = { received: (n) => seen.push(['received', n]), accepted: () => {}, rejected: (reason, n, detail) => seen.push([reason, n, detail]), fieldDropped: () => {} };
  const collector = { ingest: async (decoded: unknown) => void seen.push(['collector', decoded]) } as unknown as Collector;
  return { seen, intake: new TrackerIntake(collector, events, origins) };
}

t.test('site names against ALLOWED_ORIGINS: host names, without www. or port, case-blind', async (t) => {
  const { intake: i } = intake(['https://www.example.com', 'http://site.test:8080']);
  t.ok(i.allowsSites(['example.com']), 'the bare domain of a www origin');
  t.ok(i.allowsSites(['www.example.com', ' Example.COM ']));
  t.ok(i.allowsSites(['site.test']), 'no port in a domain');
  t.ok(i.allowsSites([]), 'none claimed: the url host decides');
  t.notOk(i.allowsSites(['example.com', 'evil.example']), 'every one must be allowed');
  t.notOk(i.allowsSites(['sub.example.com']));
  t.notOk(i.allowsSites(['example.com.evil.example']));
  const idn = intake(['https://bücher.example']).intake;
  t.ok(idn.allowsSites(['bücher.example']), 'an IDN domain as written (data-domain="bücher.example")');
  t.ok(idn.allowsSites(['xn--bcher-kva.example']), 'and as punycode (location.hostname)');
  t.notOk(idn.allowsSites(['bucher.example']));
  t.ok(intake(null).intake.allowsSites(['anything.example']), 'unset: any');
  t.ok(intake('*').intake.allowsSites(['anything.example']), '*: any');
});

t.test('a refused site is counted as origin and never reaches the collector', async (t) => {
  const { intake: i, seen } = intake(['https://example.com']);
  const ctx = { origin: undefined, ip: '203.0.113.9', userAgent: undefined, peer: '127.0.0.1', cdnCountry: undefined, doNotTrack: false };
  await i.ingest({ ok: true, items: [{ url: 'https://example.com/' }], sites: ['<script>evil.example'] }, ctx);
  t.same(seen, [['received', 1], ['origin', 1, 'site <script>evil.example not in ALLOWED_ORIGINS']]);
  seen.length = 0;
  await i.ingest({ ok: true, items: [{ url: 'https://example.com/' }], sites: ['example.com'] }, ctx);
  t.same(seen, [['collector', { ok: true, items: [{ url: 'https://example.com/' }] }]]);
  seen.length = 0;
  await i.ingest({ ok: false, reason: 'invalid_json', excerpt: '{', malformed: true }, ctx);
  t.same(seen, [['collector', { ok: false, reason: 'invalid_json', count: 1, excerpt: '{' }]], 'an unreadable body is counted by the collector, as /collect\'s');
});
