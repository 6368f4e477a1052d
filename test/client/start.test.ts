// The collector's logic (src/client/*.ts but collector.ts) driven in Node through a fake window;
// the built bundle itself is exercised in bundle.test.ts.
import t from 'tap';
import { isNewPage } from '../../src/client/navigation.js';
import { dntEnabled, isLocal } from '../../src/client/opt-out.js';
import { resolveEndpoint } from '../../src/client/sender.js';
import { start } from '../../src/client/start.js';
import { ENDPOINT, fakeWindow, PAGE, SCRIPT, T0, TEXT } from './fake-window.js';

t.test('resolveEndpoint: script origin + default path, or data-endpoint (absolute or relative to the page)', async (t) => {
  t.equal(resolveEndpoint('/collect', SCRIPT, null, PAGE), ENDPOINT);
  t.equal(resolveEndpoint('/api/e', 'https://cdn.example:8443/js/collector.js?v=2', undefined, PAGE), 'https://cdn.example:8443/api/e');
  t.equal(resolveEndpoint('/collect', '', null, PAGE), 'https://shop.example/collect', 'no script URL: the page origin');
  t.equal(resolveEndpoint('/collect', SCRIPT, 'https://other.example/in', PAGE), 'https://other.example/in');
  t.equal(resolveEndpoint('/collect', SCRIPT, '/stats/in', PAGE), 'https://shop.example/stats/in', 'relative: against the page, not the script');
  t.equal(resolveEndpoint('/collect', SCRIPT, 'in', 'https://shop.example/app/page'), 'https://shop.example/app/in');
  t.equal(resolveEndpoint('/collect', SCRIPT, '', PAGE), ENDPOINT, 'an empty attribute is no attribute');
});

t.test('isLocal: localhost, 127/8, [::1] and file: only', async (t) => {
  const loc = (href: string) => {
    const u = new URL(href);
    return { href, pathname: u.pathname, hostname: u.hostname, protocol: u.protocol };
  };
  for (const href of ['http://localhost:3000/', 'http://127.0.0.1/', 'http://127.20.30.40:8080/x', 'http://[::1]:5173/', 'file:///home/me/index.html']) {
    t.ok(isLocal(loc(href)), href);
  }
  for (const href of ['https://example.com/', 'http://128.0.0.1/', 'http://localhost.example.com/', 'http://10.0.0.1/', 'http://[::2]/', 'http://127.0.0.1.example/']) {
    t.notOk(isLocal(loc(href)), href);
  }
});

t.test('localhost sends nothing unless data-include-localhost', async (t) => {
  const off = fakeWindow({ href: 'http://localhost:3000/' });
  start(off.w, off.options());
  (off.w.beacon as (n: string) => void)('signup');
  off.tick();
  off.setHidden(true);
  t.same(off.requests, [], 'no pageview, event or performance beacon');
  t.type(off.w.beacon, 'function', 'window.beacon still exists, so calling it never throws');

  const on = fakeWindow({ href: 'http://127.0.0.1:3000/' });
  start(on.w, on.options({ 'include-localhost': '' }));
  on.tick();
  t.same(
    on.beacons().map((b) => [b.type, b.url]),
    [['pageview', 'http://127.0.0.1:3000/']],
  );
});

t.test('Do Not Track and Global Privacy Control are honoured only with data-respect-dnt', async (t) => {
  t.ok(dntEnabled({ doNotTrack: '1' }));
  t.ok(dntEnabled({ globalPrivacyControl: true }));
  t.notOk(dntEnabled({ doNotTrack: '0' }));
  t.notOk(dntEnabled({ doNotTrack: null }));
  t.notOk(dntEnabled({}));
  for (const navigator of [{ doNotTrack: '1' }, { globalPrivacyControl: true }]) {
    const respected = fakeWindow({ navigator });
    start(respected.w, respected.options({ 'respect-dnt': '' }));
    respected.tick();
    t.same(respected.requests, [], `respected: ${JSON.stringify(navigator)}`);
    const ignored = fakeWindow({ navigator });
    start(ignored.w, ignored.options());
    ignored.tick();
    t.equal(ignored.requests.length, 1, `not asked to respect it: ${JSON.stringify(navigator)}`);
  }
  const noSignal = fakeWindow({ navigator: { doNotTrack: '0' } });
  start(noSignal.w, noSignal.options({ 'respect-dnt': '' }));
  noSignal.tick();
  t.equal(noSignal.requests.length, 1, 'asked to respect it, but the visitor did not ask');
});

t.test('load: one pageview to the default endpoint with the wire-format fields', async (t) => {
  const f = fakeWindow();
  start(f.w, f.options());
  t.same(f.requests, [], 'nothing before the end of the task (batching)');
  f.tick();
  t.equal(f.requests.length, 1);
  const [req] = f.requests;
  t.equal(req?.via, 'beacon');
  t.equal(req?.url, ENDPOINT);
  t.equal(req?.contentType, TEXT, 'a string body: text/plain, so no CORS preflight');
  t.same(JSON.parse(req?.body ?? ''), {
    type: 'pageview',
    url: PAGE,
    referrer: 'https://search.example/?q=shoes',
    viewportW: 1280,
    viewportH: 720,
    timestamp: T0,
  }, 'exactly these fields: a single beacon goes as an object');
});

t.test('data-endpoint overrides the default', async (t) => {
  const f = fakeWindow();
  start(f.w, f.options({ endpoint: '/e' }));
  f.tick();
  t.equal(f.requests[0]?.url, 'https://shop.example/e');
});

t.test('the SPA rule itself', async (t) => {
  const prev = 'https://a.example/x?q=1';
  t.ok(isNewPage(prev, 'https://a.example/x?q=2', false), 'push/pop: the query changed');
  t.notOk(isNewPage(prev, 'https://a.example/x?q=1', false), 'push/pop: same href');
  t.notOk(isNewPage(prev, 'https://a.example/x?q=2', true), 'replace: same path');
  t.notOk(isNewPage('https://a.example/x#/a', 'https://a.example/x?q=2#/b', true), 'replace: same path, whatever the fragment');
  t.ok(isNewPage(prev, 'https://a.example/y', true), 'replace: new path');
  t.ok(isNewPage('https://a.example/x#/a', 'https://a.example/y#/a', true), 'replace: new path, same fragment');
  t.notOk(isNewPage(prev, 'https://a.example/x?q=1#pricing', false), 'an in-page anchor is no new page');
  t.ok(isNewPage(prev, 'https://a.example/x?q=1#/settings', false), 'a hash route (#/…) is');
  t.ok(isNewPage('https://a.example/x?q=1#/a', 'https://a.example/x?q=1#!/b', false), 'a hashbang route (#!…) is');
});

t.test('SPA: pushState, replaceState and popstate pageviews, referrer = the previous page', async (t) => {
  const f = fakeWindow();
  start(f.w, f.options());
  f.tick();
  const h = f.w.history as { pushState(...a: unknown[]): unknown; replaceState(...a: unknown[]): unknown };
  const views = () => f.beacons().filter((b) => b.type === 'pageview').map((b) => [b.url, b.referrer]);

  t.equal(h.pushState({ a: 1 }, '', '/cart'), 'pushed', "the original's result comes back");
  t.equal(f.historyThis.at(-1), h, "the original runs with the caller's this");
  f.tick();
  t.same(views().at(-1), ['https://shop.example/cart', PAGE], 'push to a new URL');

  h.pushState(null, '', '/cart');
  f.tick();
  t.equal(views().length, 2, 'push to the same href: nothing');

  t.equal(h.replaceState(null, '', '/cart?step=2'), 'replaced');
  f.tick();
  t.equal(views().length, 2, 'replace with only the query changed: nothing');

  h.replaceState(null, '', '/checkout');
  f.tick();
  t.same(views().at(-1), ['https://shop.example/checkout', 'https://shop.example/cart?step=2'], 'replace with a new path');

  t.throws(() => h.pushState(null, '', 'javascript:alert(1)'), /SecurityError/, "the original's exception reaches the caller");
  f.tick();
  t.equal(views().length, 3, 'and no pageview');
  t.same(
    f.beacons().map((b) => [b.type, b.url]),
    [
      ['pageview', PAGE],
      ['performance', PAGE], // the landing route, left: its vitals (here only cls, 0) under its own URL
      ['pageview', 'https://shop.example/cart'],
      ['pageview', 'https://shop.example/checkout'],
    ],
    'a route left with nothing measured (no time visible, vitals already sent) has no performance row',
  );
});

t.test('SPA: popstate to a new href is a pageview', async (t) => {
  const f = fakeWindow();
  start(f.w, f.options());
  f.tick();
  (f.w.history as { pushState(...a: unknown[]): unknown }).pushState(null, '', '/cart');
  f.tick();
  f.moveTo(PAGE); // back: the browser moves the location itself, then fires popstate
  f.w.fire('popstate');
  f.tick();
  const views = () => f.beacons().filter((b) => b.type === 'pageview');
  t.same(
    views().map((b) => [b.type, b.url, b.referrer]),
    [
      ['pageview', PAGE, 'https://search.example/?q=shoes'],
      ['pageview', 'https://shop.example/cart', PAGE],
      ['pageview', PAGE, 'https://shop.example/cart'],
    ],
  );
  f.w.fire('popstate');
  f.moveTo(PAGE + '#reviews');
  f.w.fire('popstate');
  f.moveTo(PAGE + '#/reviews');
  f.w.fire('popstate');
  f.tick();
  t.same(views().slice(3).map((b) => b.url), [PAGE + '#/reviews'], 'unchanged or an in-page anchor: nothing; a hash route: a pageview');
});

t.test('queue: the stub snippet\'s calls are replayed in order after the pageview, then window.beacon is real', async (t) => {
  const f = fakeWindow();
  // The exact snippet documented in collector.ts, run with the fake as `window`.
  const stub = 'window.beacon = window.beacon || function () { (window.beacon.q = window.beacon.q || []).push(arguments) }';
  new Function('window', stub)(f.w);
  new Function('window', stub)(f.w); // pasted twice: the second keeps the first stub and its queue
  const early = f.w.beacon as (...a: unknown[]) => void;
  early('signup', { plan: 'pro' });
  early('newsletter');
  start(f.w, f.options());
  t.not(f.w.beacon, early, 'replaced by the real function');
  t.equal((f.w.beacon as { q?: unknown }).q, undefined);
  (f.w.beacon as (n: string) => void)('after');
  f.tick();
  t.equal(f.requests.length, 1, 'one request');
  t.same(
    f.beacons().map((b) => [b.type, b.name, b.payload]),
    [['pageview', undefined, undefined], ['event', 'signup', { plan: 'pro' }], ['event', 'newsletter', undefined], ['event', 'after', undefined]],
  );
});

t.test('included twice: the second copy does nothing', async (t) => {
  const f = fakeWindow();
  start(f.w, f.options());
  const first = f.w.beacon;
  start(f.w, f.options());
  f.tick();
  t.equal(f.w.beacon, first);
  t.equal(f.beacons().length, 1, 'one pageview');
  (f.w.history as { pushState(...a: unknown[]): unknown }).pushState(null, '', '/b');
  f.tick();
  t.equal(f.beacons().filter((b) => b.type === 'pageview').length, 2, 'history patched once');
});

t.test('never throws into the page', async (t) => {
  const f = fakeWindow({ transport: 'beacon-throws' });
  f.w.fetch = () => {
    throw new Error('blocked');
  };
  delete f.w.history;
  t.doesNotThrow(() => start(f.w, f.options()));
  t.doesNotThrow(() => f.tick());
  const beacon = f.w.beacon as (name: unknown, props?: unknown) => void;
  t.type(beacon, 'function');
  const hostile = {
    get a() {
      throw new Error('getter');
    },
  };
  t.doesNotThrow(() => beacon('x', hostile));
  t.doesNotThrow(() => beacon({ toString: () => { throw new Error('name'); } }));
  t.doesNotThrow(() => f.tick());
  t.doesNotThrow(() => f.w.fire('error', { get message(): string { throw new Error('evil event'); } }));
  t.doesNotThrow(() => f.w.fire('unhandledrejection', { reason: Object.create(null) as object }));
  t.doesNotThrow(() => f.setHidden(true));

  const broken = fakeWindow();
  start(broken.w, broken.options());
  broken.tick();
  // A location that throws after load: the history wrapper and popstate must still not throw.
  Object.defineProperty(broken.w.location, 'href', {
    get() {
      throw new Error('location gone');
    },
  });
  const h = broken.w.history as { pushState(...a: unknown[]): unknown };
  t.equal(h.pushState(null, '', '/x'), 'pushed', 'the original still runs and returns');
  t.doesNotThrow(() => broken.w.fire('popstate'));

  const invalid = fakeWindow();
  t.doesNotThrow(() => start(invalid.w, invalid.options({ endpoint: 'http://[bad' })));
  invalid.tick();
  t.same(invalid.requests, [], 'an unusable endpoint sends nothing');
  t.type(invalid.w.beacon, 'function');
});
