import t from 'tap';
import { plausibleBeacon } from '../../src/trackers/plausible-event.js';
import { QueryStripper } from '../../src/pipeline/query-strip.js';
import { storedBeacon } from '../../src/pipeline/stored-beacon.js';
import { validateBeacon } from '../../src/pipeline/validate-beacon.js';

const b = (body: unknown) => plausibleBeacon(Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)));

t.test('a pageview as the tracker sends it (short names)', async (t) => {
  const r = b({ n: 'pageview', u: 'https://example.com/a?utm_source=x#top', d: 'example.com', r: 'https://google.com/', v: 36 });
  t.same(r, { ok: true, items: [{ url: 'https://example.com/a?utm_source=x', referrer: 'https://google.com/', type: 'pageview' }], sites: ['example.com'] }, 'the anchor is dropped, v ignored');
});

t.test('the Events API long names, a comma list of domains, no referrer', async (t) => {
  const r = b({ name: 'pageview', url: 'http://dummy.site', domain: 'dummy.site, rollup.example' });
  t.same(r, { ok: true, items: [{ url: 'http://dummy.site', type: 'pageview' }], sites: ['dummy.site', 'rollup.example'] });
  t.same(b({ n: 'pageview', u: 'https://example.com/', r: null }), { ok: true, items: [{ url: 'https://example.com/', type: 'pageview' }], sites: [] }, 'no domain: the url host is checked by the collector');
});

t.test('hash routing keeps the fragment', async (t) => {
  const r = b({ n: 'pageview', u: 'https://example.com/app#/settings', d: 'example.com', h: 1 });
  t.match(r, { ok: true, items: [{ url: 'https://example.com/app#/settings' }] });
});

t.test('a custom event: props to payload (scalars as strings), revenue, non-interactive', async (t) => {
  const r = b({
    n: 'Signup', u: 'https://example.com/', d: 'example.com',
    p: { plan: 'pro', seats: 3, trial: true, nested: { no: 1 }, list: [1], '': 'blank key', empty: ' ' },
    $: { amount: 15.99, currency: 'EUR' }, i: false,
  });
  t.ok(r.ok);
  if (!r.ok) return;
  const item = r.items[0] as Record<string, unknown>;
  t.equal(item.type, 'event');
  t.equal(item.name, 'Signup');
  t.same({ ...(item.payload as object) }, { plan: 'pro', seats: '3', trial: 'true', $revenue: { amount: '15.99', currency: 'EUR' }, $interactive: false });
  const meta = b({ n: 'e', u: 'https://example.com/', meta: '{"a":"b"}' });
  t.same({ ...((meta.ok && meta.items[0]?.payload) as object) }, { a: 'b' }, 'meta as a JSON string, as old trackers send it');
  const badRevenue = b({ n: 'e', u: 'https://example.com/', revenue: { amount: 'lots', currency: 'euro' } });
  t.notOk(badRevenue.ok && badRevenue.items[0]?.payload, 'a revenue that is not {decimal, ISO code} is ignored');
  const numericName = b({ n: 404, u: 'https://example.com/' });
  t.match(numericName, { ok: true, items: [{ type: 'event', name: '404' }] }, 'an integer name, as Plausible takes it');
});

t.test('engagement: a performance row with engaged time and scroll depth', async (t) => {
  const r = b({ n: 'engagement', sd: 130, e: 5123, d: 'example.com', u: 'https://example.com/a', p: { plan: 'pro' }, v: 36 });
  t.same(r, { ok: true, items: [{ url: 'https://example.com/a', type: 'performance', payload: { engagementMs: 5123, scrollDepth: 100 } }], sites: ['example.com'] });
  t.match(b({ n: 'engagement', u: 'https://example.com/', sd: 'x', e: -1 }), { ok: false, reason: 'invalid_schema' }, 'neither sd nor e: refused, as Plausible does');
  t.match(b({ n: 'engagement', u: 'https://example.com/', sd: '40', e: 40 * 86_400_000 }), { ok: true, items: [{ payload: { scrollDepth: 40 } }] }, 'engagement of 40 days is an old tracker\'s junk');
});

t.test('hostile and broken bodies', async (t) => {
  t.match(b('{"n":'), { ok: false, reason: 'invalid_json', malformed: true });
  t.match(b('[1,2]'), { ok: false, reason: 'invalid_schema' }, 'an array is no event');
  t.match(b({ u: 'https://example.com/' }), { ok: false, reason: 'invalid_schema' }, 'no name');
  t.match(b({ n: { x: 1 }, u: 'https://example.com/' }), { ok: false, reason: 'invalid_schema' }, 'a name that is an object');
  t.match(b({ n: 'pageview', u: 42 }), { ok: false, reason: 'invalid_schema' }, 'a url that is a number');
  t.match(b({ n: 'pageview', u: 'https://example.com/', d: 'a.com,,b.com' }), { ok: false, reason: 'invalid_schema' }, 'a blank domain in the list');
  // A domain that is no string would skip the site check (Plausible's server refuses it too).
  for (const d of [['evil.example'], 7, { evil: 'example' }]) t.match(b({ n: 'pageview', u: 'https://example.com/', d }), { ok: false, reason: 'invalid_schema', malformed: true }, `a domain that is ${JSON.stringify(d)}`);
  const long = b({ n: 'e', u: 'https://example.com/', p: { k: 'x'.repeat(2001) } });
  t.equal(long.ok && typeof long.items[0]?.payload, 'string', 'props over the limits: a payload the validator stores NULL (and counts)');
  const many = b({ n: 'e', u: 'https://example.com/', p: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 'v'])) });
  t.equal(Object.keys((many.ok && many.items[0]?.payload) as object).length, 30, 'at most 30 props');
  const proto = b('{"n":"e","u":"https://example.com/","p":{"__proto__":{"polluted":"yes"},"constructor":"c"}}');
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution');
  t.same({ ...((proto.ok && proto.items[0]?.payload) as object) }, { constructor: 'c' }, 'an object value is left out, a key named constructor is a key');
});

t.test('what the adapter passes on is judged by our validator like any beacon', async (t) => {
  const now = Date.now();
  const check = (body: unknown) => {
    const r = b(body);
    return r.ok ? validateBeacon(r.items[0], now) : r;
  };
  t.match(check({ n: 'pageview', u: 'javascript:alert(1)' }), { ok: false, detail: /url/ }, 'a javascript: url is refused');
  t.match(check({ n: 'pageview', u: 'https://example.com/' + 'a'.repeat(3000) }), { ok: false }, 'an oversized url is refused');
  t.match(check({ n: 'pageview', u: 'https://example.com/', r: 'not a url' }), { ok: true, nulled: ['referrer'] }, 'a bad referrer is stored NULL');
  t.match(check({ n: 'pageview', u: 'https://example.com/', r: 7 }), { ok: true, nulled: ['referrer'] }, 'a referrer that is a number too');
  t.match(check({ n: 'x'.repeat(200), u: 'https://example.com/' }), { ok: true, nulled: ['name'] }, 'an overlong event name is stored NULL');
  const marked = check({ n: '<img src=x onerror=alert(1)>Buy', u: 'https://example.com/', p: { '<b>k</b>': '<script>x</script>y' } });
  t.match(marked.ok && storedBeacon(marked, new QueryStripper([])), { ok: true, eventName: 'Buy', payload: '{"k":"xy"}' }, 'markup is the sanitiser\'s to strip, in the name, prop keys and values');
  t.match(check({ n: 'e', u: 'https://example.com/', p: { k: 'x'.repeat(2001) } }), { ok: true, nulled: ['payload'] });
});
