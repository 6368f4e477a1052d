// The positional JSON the Redis session store and its Lua scripts share.
import t from 'tap';
import { sessionProblem } from '../../src/buffer/row-codec.js';
import { decodeSession, encodeSession } from '../../src/pipeline/redis-session-codec.js';
import type { SessionSnapshot } from '../../src/sinks/sink.js';

const full: SessionSnapshot = {
  start: {
    id: '00000000-0000-4000-8000-000000000001', hostname: 'shop.example', startedAt: Date.UTC(2026, 4, 10, 12),
    entryUrl: 'https://shop.example/landing?utm_source=news', entryReferrer: 'https://news.example/',
    utmSource: 'news', utmMedium: 'mail', utmCampaign: 'été "quoted" \\ \u2028', utmTerm: '日本語', utmContent: 'c',
  },
  userHash: '0123456789abcdef',
  lastSeenAt: Date.UTC(2026, 4, 10, 12, 5),
  pageviews: 3,
  events: 2,
  exitUrl: 'https://shop.example/checkout',
};

t.test('a session survives encode then decode, nulls and non-ASCII text included', async (t) => {
  t.same(decodeSession(encodeSession(full)), full);
  const sparse: SessionSnapshot = {
    ...full,
    exitUrl: null,
    start: { ...full.start, entryReferrer: null, utmSource: null, utmMedium: null, utmCampaign: null, utmTerm: null, utmContent: null },
  };
  t.same(decodeSession(encodeSession(sparse)), sparse);
});

t.test('encoded by position in the order the Lua scripts read (1 lastSeenAt, 2 pageviews, 3 events, 6 id)', async (t) => {
  const a = JSON.parse(encodeSession(full)) as unknown[];
  t.equal(a.length, 15);
  t.same(a.slice(0, 8), [full.lastSeenAt, 3, 2, full.exitUrl, full.userHash, full.start.id, 'shop.example', full.start.startedAt]);
  t.same(a.slice(8), [full.start.entryUrl, full.start.entryReferrer, 'news', 'mail', full.start.utmCampaign, '日本語', 'c']);
  t.notMatch(encodeSession(full), /"start"|"pageviews"/, 'no field names in the stored value');
});

t.test('a malformed value decodes to a snapshot the store refuses (sessionProblem), never to a valid-looking one', async (t) => {
  const encoded = JSON.parse(encodeSession(full)) as unknown[];
  const cases: [string, unknown[], RegExp][] = [
    ['id not a UUID', Object.assign([...encoded], { 5: 'not-a-uuid' }), /start\.id/],
    ['entry URL too long', Object.assign([...encoded], { 8: `https://shop.example/${'x'.repeat(3000)}` }), /start\.entryUrl/],
    ['negative count', Object.assign([...encoded], { 1: -1 }), /pageviews/],
    ['too short (an earlier layout)', encoded.slice(0, 6), /start\.hostname/],
  ];
  for (const [name, value, problem] of cases) t.match(sessionProblem(decodeSession(JSON.stringify(value))), problem, name);
  t.equal(sessionProblem(decodeSession(encodeSession(full))), null, 'the well-formed one passes');
  t.throws(() => decodeSession('not json'), SyntaxError, 'not JSON at all throws (the scripts never return such a value)');
});
