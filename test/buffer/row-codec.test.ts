// Spooled lines are checked against the row's shape before they reach a sink or the session store.
import t from 'tap';
import { BadRowError, decodeRow, encodeRow } from '../../src/buffer/row-codec.js';
import type { PageviewRow } from '../../src/sinks/sink.js';

const FULL: PageviewRow = {
  beaconId: Buffer.from('0192a0b0c0d07e008000000000000001', 'hex'), url: 'https://a.example/p?q=1', hostname: 'a.example', type: 'click',
  eventName: 'signup 😀', userAgent: 'Mozilla/5.0', browser: 'Chrome', os: 'Windows', device: 'desktop', isBot: false, viewportWidth: 1280,
  viewportHeight: 720, referrer: 'android-app://com.google.android.gm/', clientTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, 1)),
  serverTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, 1, 2)), clientIp: '203.0.113.0', sessionId: '6f1c7a52-1f6e-4b7e-9a51-0c1d2e3f4a5b',
  payload: '{"plan":"pro"}', userHash: 'abcdef0123456789', geoCountry: 'DE', approxBytes: 512,
  session: {
    start: {
      id: '6f1c7a52-1f6e-4b7e-9a51-0c1d2e3f4a5b', hostname: 'a.example', startedAt: Date.UTC(2026, 0, 1), entryUrl: 'https://a.example/',
      entryReferrer: null, utmSource: 'news', utmMedium: null, utmCampaign: null, utmTerm: null, utmContent: null,
    },
    userHash: 'abcdef0123456789', lastSeenAt: Date.UTC(2026, 0, 1, 0, 0, 1), pageviews: 1, events: 1, exitUrl: 'https://a.example/',
  },
};

t.test('a row survives the round trip, a URL of 2048 four-byte characters included', async (t) => {
  t.same(decodeRow(encodeRow(FULL)), FULL);
  const wide = { ...FULL, url: 'https://a.example/' + '😀'.repeat(2048 - 18) };
  t.same(decodeRow(encodeRow(wide)).url, wide.url, 'widths count characters, as the column does, not UTF-16 units');
});

t.test('every field that breaks its shape or column makes the line a BadRowError naming it', async (t) => {
  const base = JSON.parse(encodeRow(FULL)) as Record<string, unknown>;
  const session = base.session as Record<string, unknown>;
  const start = session.start as Record<string, unknown>;
  const cases: [string, Record<string, unknown>][] = [
    ['beaconId', { beaconId: 'zz' }],
    ['url', { url: undefined }],
    ['url', { url: 'x'.repeat(2049) }],
    ['hostname', { hostname: 7 }],
    ['type', { type: 'pageviews' }],
    ['eventName', { eventName: 'e'.repeat(65) }],
    ['userAgent', { userAgent: { a: 1 } }],
    ['device', { device: 'tv' }],
    ['isBot', { isBot: 0 }],
    ['viewportWidth', { viewportWidth: 1.5 }],
    ['viewportWidth', { viewportWidth: 70_000 }],
    ['clientTimestamp', { clientTimestamp: 'yesterday' }],
    ['serverTimestamp', { serverTimestamp: 8.64e16 }],
    ['sessionId', { sessionId: "x'),(" }],
    ['payload', { payload: '{not json' }],
    ['userHash', { userHash: 'short' }],
    ['geoCountry', { geoCountry: 'Germany' }],
    ['approxBytes', { approxBytes: -1 }],
    ['session.not an object', { session: 'yes' }],
    ['session.start', { session: { ...session, start: undefined } }],
    ['session.start.entryUrl', { session: { ...session, start: { ...start, entryUrl: null } } }],
    ['session.start.utmSource', { session: { ...session, start: { ...start, utmSource: 'u'.repeat(256) } } }],
    ['session.pageviews', { session: { ...session, pageviews: -1 } }],
  ];
  for (const [field, change] of cases) {
    const line = JSON.stringify({ ...base, ...change });
    t.throws(() => decodeRow(line), new BadRowError(field), field);
  }
  const missing = { ...base };
  delete missing.session;
  t.throws(() => decodeRow(JSON.stringify(missing)), BadRowError, 'a missing field is not a null one');
  for (const line of ['', '{"beaconId":', 'null', '[]', '"row"', '{}']) t.throws(() => decodeRow(line), BadRowError, JSON.stringify(line));
});
