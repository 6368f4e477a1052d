import t from 'tap';
import { buildRow, type RowFacts } from '../../src/pipeline/build-row.js';
import { QueryStripper } from '../../src/pipeline/query-strip.js';
import { storedBeacon, type StoredBeacon } from '../../src/pipeline/stored-beacon.js';
import { AgentParser } from '../../src/pipeline/user-agent.js';
import { validateBeacon, type Valid } from '../../src/pipeline/validate-beacon.js';
import type { SessionSnapshot } from '../../src/sinks/sink.js';

const NOW = Date.UTC(2026, 10, 27, 12);
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const ID = Buffer.alloc(16, 9);
const agents = new AgentParser();

function beacon(item: Record<string, unknown>): [Valid, StoredBeacon] {
  const v = validateBeacon(item, NOW) as Valid;
  const s = storedBeacon(v, new QueryStripper(['token']));
  if (!s.ok) throw new Error(s.detail);
  return [v, s];
}

function facts(over: Partial<RowFacts> = {}): RowFacts {
  return { agent: agents.parse(CHROME), isBot: false, serverTimestamp: new Date(NOW), clientIp: '198.51.100.0', geoCountry: 'DE', ...over };
}

const snapshot = { start: { id: 'session-1' }, pageviews: 1 } as SessionSnapshot;

t.test('a row from the stored beacon, the request and the session', async (t) => {
  const [v, s] = beacon({
    url: 'https://shop.example/p/1?token=abc', referrer: 'https://www.google.com/', type: 'event', name: 'buy',
    viewportW: 1280, viewportH: 720, timestamp: NOW - 1000.4, payload: { plan: 'pro' },
  });
  const row = buildRow(ID, v.beacon, s, 'visitor-a', { sessionId: 'session-1', snapshot }, facts());
  t.same(row, {
    beaconId: ID,
    url: 'https://shop.example/p/1',
    hostname: 'shop.example',
    type: 'event',
    eventName: 'buy',
    userAgent: CHROME,
    browser: 'Chrome',
    os: 'Windows',
    device: 'desktop',
    isBot: false,
    viewportWidth: 1280,
    viewportHeight: 720,
    referrer: 'https://www.google.com/',
    clientTimestamp: new Date(NOW - 1000),
    serverTimestamp: new Date(NOW),
    clientIp: '198.51.100.0',
    sessionId: 'session-1',
    payload: '{"plan":"pro"}',
    userHash: 'visitor-a',
    geoCountry: 'DE',
    session: snapshot,
    approxBytes: 256 + 'https://shop.example/p/1'.length + 'https://www.google.com/'.length + CHROME.length + '{"plan":"pro"}'.length,
  });
  t.equal(row.hostname, s.hostname, 'the hostname string the collector interned');
});

t.test('absent optional fields are NULL; approxBytes counts what is there', async (t) => {
  const [v, s] = beacon({ url: 'https://shop.example/' });
  const row = buildRow(ID, v.beacon, s, 'visitor-a', { sessionId: null, snapshot: null }, facts({ agent: agents.parse(undefined), isBot: true, clientIp: null, geoCountry: null }));
  t.match(row, {
    type: 'pageview', eventName: null, userAgent: null, browser: null, os: null, device: null, isBot: true,
    viewportWidth: null, viewportHeight: null, referrer: null, clientTimestamp: null, clientIp: null,
    sessionId: null, payload: null, geoCountry: null, session: null,
  });
  t.equal(row.approxBytes, 256 + 'https://shop.example/'.length);
});
