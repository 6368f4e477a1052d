import t from 'tap';
import { umamiBeacon } from '../../src/trackers/umami-send.js';
import { validateBeacon } from '../../src/pipeline/validate-beacon.js';

const b = (body: unknown, origin?: string) => umamiBeacon(Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), origin);
const WEBSITE = '3f8d7c2e-1111-4222-8333-444455556666';
const plain = (o: unknown) => JSON.parse(JSON.stringify(o)) as unknown;

t.test('version 2 tracker: a path, URI-encoded, resolved on the Origin of the same host', async (t) => {
  const r = b({
    type: 'event',
    payload: { website: WEBSITE, hostname: 'site.test', screen: '1280x720', language: 'en-GB', title: encodeURIComponent('Prix 100 € & co'), url: encodeURI('/café?utm_source=news'), referrer: encodeURI('https://www.google.com/search?q=é') },
  }, 'http://site.test:8080');
  t.same(plain(r), {
    ok: true,
    items: [{ url: 'http://site.test:8080/caf%C3%A9?utm_source=news', type: 'pageview', referrer: 'https://www.google.com/search?q=é', payload: { $title: 'Prix 100 € & co', $language: 'en-GB', $screen: '1280x720' } }],
    sites: ['site.test'],
  });
});

t.test('a path without a browser Origin (server-side): https://hostname', async (t) => {
  t.match(b({ type: 'event', payload: { website: WEBSITE, hostname: 'example.com', url: '/a' } }), { ok: true, items: [{ url: 'https://example.com/a' }] });
  t.match(b({ type: 'event', payload: { hostname: 'example.com', url: '/a' } }, 'https://evil.example'), { ok: true, items: [{ url: 'https://example.com/a' }], sites: ['example.com'] }, 'an Origin of another host is not the base');
  t.match(b({ type: 'event', payload: { url: '/a' } }), { ok: false, reason: 'invalid_schema', malformed: true }, 'a path and no hostname: nowhere');
});

t.test('version 3 tracker: a whole URL; a path referrer resolves on the page', async (t) => {
  const r = b({ type: 'event', payload: { website: WEBSITE, hostname: 'example.com', url: 'https://example.com/app/b#x', referrer: '/app/a', title: 'B', tag: 'blue', id: 'user-42' } });
  t.same(plain(r), { ok: true, items: [{ url: 'https://example.com/app/b#x', type: 'pageview', referrer: 'https://example.com/app/a', payload: { $title: 'B', $tag: 'blue' } }], sites: ['example.com'] }, 'id (a distinct user id) is not kept');
});

t.test('a custom event with data; ip, userAgent and browser fields are not believed', async (t) => {
  const r = b({ type: 'event', payload: { hostname: 'example.com', url: '/', name: 'signup', data: { plan: 'pro', seats: 3, nested: { a: [1] } }, ip: '8.8.8.8', userAgent: 'forged', browser: 'x', timestamp: 1_700_000_000 } });
  t.same(plain(r), { ok: true, items: [{ url: 'https://example.com/', type: 'event', name: 'signup', timestamp: 1_700_000_000_000, payload: { plan: 'pro', seats: 3, nested: { a: [1] } } }], sites: ['example.com'] });
});

t.test('performance: the vitals within Umami\'s bounds', async (t) => {
  const r = b({ type: 'performance', payload: { hostname: 'example.com', url: '/', lcp: 1200, cls: 0.05, inp: -3, ttfb: 1e9, fcp: '10', duration: 5000 } });
  t.same(plain(r), { ok: true, items: [{ url: 'https://example.com/', type: 'performance', payload: { lcp: 1200, cls: 0.05, durationMs: 5000 } }], sites: ['example.com'] });
});

t.test('identify is not stored, and is no bad request', async (t) => {
  t.match(b({ type: 'identify', payload: { website: WEBSITE, hostname: 'example.com', url: '/', data: { email: 'a@b.c' } } }), { ok: false, reason: 'unsupported_type', malformed: false });
});

t.test('hostile and broken bodies', async (t) => {
  t.match(b('{"type":'), { ok: false, reason: 'invalid_json', malformed: true });
  t.match(b({ type: 'event' }), { ok: false, reason: 'invalid_schema' }, 'no payload');
  t.match(b({ type: 'event', payload: [] }), { ok: false, reason: 'invalid_schema' }, 'a payload that is an array');
  t.match(b({ type: 'click', payload: { hostname: 'example.com', url: '/' } }), { ok: false, reason: 'invalid_schema' }, 'an unknown type');
  t.match(b({ type: 'event', payload: { hostname: 7, url: '/' } }), { ok: false, reason: 'invalid_schema' }, 'a hostname that is a number');
  t.match(b({ type: 'event', payload: { hostname: 'a'.repeat(101), url: '/' } }), { ok: false, reason: 'invalid_schema' }, 'an overlong hostname');
  t.match(b({ type: 'event', payload: { hostname: 'example.com', url: 5 } }), { ok: false, reason: 'invalid_schema' }, 'a url that is a number');
  t.match(b({ type: 'event', payload: { hostname: 'example.com', url: 'relative/path' } }), { ok: false }, 'a url that is neither a URL nor a path');
  t.match(b({ type: 'event', payload: { hostname: 'example.com', url: '//evil.example/x' } }), { ok: false }, 'a protocol-relative url is another host, not a path');
  const junk = b({ type: 'event', payload: { hostname: 'example.com', url: '/', screen: '<b>x</b>', language: 'x'.repeat(36), title: 'x'.repeat(600), tag: 3 } });
  t.same(plain(junk), { ok: true, items: [{ url: 'https://example.com/', type: 'pageview' }], sites: ['example.com'] }, 'junk screen, language, title and tag are left out');
  // 60,000 nested arrays fit in 64 KiB; JSON.stringify of them overflows the stack (a thrown error,
  // logged at error level and counted as `error`, for every such request).
  const deep = `{"type":${'['.repeat(30_000)}${']'.repeat(30_000)},"payload":{}}`;
  t.match(b(deep), { ok: false, reason: 'invalid_schema', malformed: true }, 'a type nested past the stack: refused, not thrown');
  t.match(b({ type: 'x'.repeat(500), payload: {} }), { ok: false, excerpt: /^type: must be event, identify or performance \(got "x{79}…\)$/ }, 'an overlong type: its start in the detail');
  const proto = b('{"type":"event","payload":{"hostname":"example.com","url":"/","name":"e","data":{"__proto__":{"polluted":1}}}}');
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution');
  const payload = ((proto.ok ? proto.items[0]?.payload : undefined) ?? {}) as Record<string, unknown>;
  t.notOk('polluted' in payload, 'data\'s "__proto__" did not become the payload\'s prototype');
  t.equal(JSON.stringify(payload), '{"__proto__":{"polluted":1}}', 'it is kept as a plain key (the sanitiser strips markup from keys, the JSON column holds it)');
});

t.test('the page is on the claimed hostname: no path or URL reaches another host', async (t) => {
  // The URL parser reads "\\" as "/" and drops tabs and newlines (%09 and %0A once decoded), so each
  // of these paths would resolve to https://evil.example/x: a page on a host the body never claimed.
  for (const url of ['/\\evil.example/x', '/\t/evil.example/x', encodeURI('/\t/evil.example/x'), '/%0a/evil.example/x', '/\\/evil.example/x']) {
    t.match(b({ type: 'event', payload: { hostname: 'example.com', url } }), { ok: false, reason: 'invalid_schema', malformed: true }, `${JSON.stringify(url)} on https://hostname`);
    t.match(b({ type: 'event', payload: { url } }, 'https://example.com'), { ok: false, reason: 'invalid_schema', malformed: true }, `${JSON.stringify(url)} on the Origin`);
  }
  t.match(b({ type: 'event', payload: { hostname: 'example.com', url: 'https://evil.example/x' } }), { ok: false, reason: 'invalid_schema', malformed: true }, 'a whole URL of another host than hostname');
  t.match(b({ type: 'event', payload: { hostname: 'example.com', url: 'https://www.example.com/x' } }), { ok: false }, 'www. is another host too (Umami files it under hostname)');
  t.match(b({ type: 'event', payload: { hostname: 'Site.Test', url: 'http://site.test:8080/a' } }), { ok: true, items: [{ url: 'http://site.test:8080/a' }] }, 'the port and case are no other host');
  t.match(b({ type: 'event', payload: { hostname: 'bücher.example', url: 'https://xn--bcher-kva.example/a' } }), { ok: true }, 'an IDN hostname and its punycode URL');
  t.match(b({ type: 'event', payload: { url: 'https://evil.example/x' } }), { ok: true, sites: [] }, 'no hostname claimed: the url host alone decides, as for /collect');
  const r = b({ type: 'event', payload: { hostname: 'example.com', url: '/a', referrer: '/\\evil.example/' } });
  t.match(r, { ok: true, items: [{ url: 'https://example.com/a', referrer: '/\\evil.example/' }] }, 'a path referrer that leaves the page\'s host is no URL: the validator stores it NULL and counts it');
});

t.test('what the adapter passes on is judged by our validator like any beacon', async (t) => {
  const now = Date.now();
  const check = (body: unknown, origin?: string) => {
    const r = b(body, origin);
    return r.ok ? validateBeacon(r.items[0], now) : r;
  };
  t.match(check({ type: 'event', payload: { url: 'javascript:alert(1)' } }), { ok: false, detail: /url/ }, 'a javascript: url');
  t.match(check({ type: 'event', payload: { hostname: 'example.com', url: '/', name: 'x'.repeat(70) } }), { ok: true, nulled: ['name'] }, 'a name over 64 characters is stored NULL');
  t.match(check({ type: 'event', payload: { hostname: 'example.com', url: '/', name: { a: 1 } } }), { ok: true, nulled: ['name'] }, 'a name that is an object is stored NULL');
  t.match(check({ type: 'event', payload: { hostname: 'example.com', url: '/', timestamp: 1 } }), { ok: true, nulled: ['timestamp'] }, 'a timestamp in 1970 is stored NULL');
  t.match(check({ type: 'event', payload: { hostname: 'example.com', url: '/', referrer: 42 } }), { ok: true, nulled: ['referrer'] }, 'a referrer that is a number is stored NULL, counted');
  t.match(check({ type: 'event', payload: { hostname: 'example.com', url: '/', referrer: 'javascript:alert(1)' } }), { ok: true, nulled: ['referrer'] }, 'a javascript: referrer too');
  t.match(check({ type: 'event', payload: { hostname: 'example.com', url: '/', data: JSON.parse('{"a":{"b":{"c":{"d":{"e":1}}}}}') } }), { ok: true }, 'deep data is the sanitiser\'s to refuse');
});
