// The collector's logic (src/client/*.ts but collector.ts) driven in Node through a fake window;
// the built bundle itself is exercised in bundle.test.ts.
import vm from 'node:vm';
import t from 'tap';
import { eventPayload, makeBeacon, type Beacon } from '../../src/client/beacon.js';
import { clsTracker } from '../../src/client/cls-tracker.js';
import type { Win } from '../../src/client/environment.js';
import { errorGate, errorPayload } from '../../src/client/error-tracking.js';
import { MAX_BODY_CHARS } from '../../src/client/limits.js';
import { isNewPage } from '../../src/client/navigation.js';
import { dntEnabled, isLocal } from '../../src/client/opt-out.js';
import { createSender, resolveEndpoint } from '../../src/client/sender.js';
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

t.test('errors: payload, cuts, dedupe, at most 10 per page, own errors and rejections', async (t) => {
  const f = fakeWindow();
  start(f.w, f.options());
  f.tick();
  const err = (message: string, line = 10, extra: object = {}) =>
    f.w.fire('error', { message, filename: 'https://shop.example/app.js', lineno: line, colno: 7, error: { stack: `Error: ${message}\n    at app.js:${line}:7` }, ...extra });

  err('boom');
  f.tick();
  const [first] = f.beacons().slice(1);
  t.same(first?.payload, { message: 'boom', source: 'https://shop.example/app.js', line: 10, column: 7, stack: 'Error: boom\n    at app.js:10:7' });
  t.equal(first?.type, 'error');
  t.equal(first?.name, undefined, 'errors carry no name');
  t.equal(first?.url, PAGE);

  err('boom');
  err('boom');
  f.tick();
  t.equal(f.beacons().length, 2, 'the same message+source+line once');
  err('boom', 11);
  f.tick();
  t.equal(f.beacons().length, 3, 'another line is another error');

  err('from us', 1, { filename: SCRIPT });
  f.tick();
  t.equal(f.beacons().length, 3, "the collector's own errors are not the site's");

  f.w.fire('unhandledrejection', { reason: new RangeError('bad range') });
  f.w.fire('unhandledrejection', { reason: 'plain string' });
  f.w.fire('unhandledrejection', { reason: undefined });
  f.w.fire('unhandledrejection', {});
  f.tick();
  const rejections = f.beacons().slice(3).map((b) => b.payload as { message: string; stack: string; source: string; line: number });
  t.equal(rejections[0]?.message, 'bad range');
  t.match(rejections[0]?.stack, /^RangeError: bad range\n/);
  t.same(rejections[1], { message: 'plain string', source: '', line: 0, column: 0, stack: '' });
  t.equal(rejections.length, 2, 'a rejection without a message (reject(), reject(undefined)) is not sent');

  f.w.fire('error', { message: 'Script error.', filename: '', lineno: 0, colno: 0, error: null });
  err('');
  f.tick();
  t.equal(f.beacons().length, 5, "another origin's \"Script error.\" and an empty message are not sent");

  for (let i = 0; i < 20; i++) err(`loop ${i}`);
  f.tick();
  const errors = f.beacons().filter((b) => b.type === 'error');
  t.equal(errors.length, 10, 'at most 10 per page load, whatever their messages');
  t.equal((errors.at(-1)?.payload as { message: string }).message, 'loop 5', 'the filtered ones take no place among the 10');
});

t.test('errorPayload cuts message to 500 and stack and source to 1000 chars; errorGate', async (t) => {
  const p = errorPayload('m'.repeat(600), 's'.repeat(1200), '12', undefined, 'x'.repeat(5000));
  t.equal(p.message.length, 500);
  t.equal(p.source.length, 1000);
  t.equal(p.stack.length, 1000);
  t.equal(p.line, 12, 'numeric strings become numbers');
  t.equal(p.column, 0);
  const gate = errorGate(2);
  t.same(['a', 'a', 'b', 'c', 'a'].map(gate), [true, false, true, false, false]);
});

t.test('makeBeacon and window.beacon: fields, name cut to 64, payload only a small plain object', async (t) => {
  const w = { location: { href: PAGE, pathname: '/products', hostname: 'shop.example', protocol: 'https:' }, innerWidth: 390, innerHeight: 844 };
  t.same(JSON.parse(JSON.stringify(makeBeacon(w, T0, 'event', 'https://r.example/', 'signup', { a: 1 }))), {
    type: 'event', url: PAGE, referrer: 'https://r.example/', viewportW: 390, viewportH: 844, timestamp: T0, name: 'signup', payload: { a: 1 },
  });
  t.same(Object.keys(JSON.parse(JSON.stringify(makeBeacon(w, T0, 'pageview', '', '')))), ['type', 'url', 'referrer', 'viewportW', 'viewportH', 'timestamp'], 'no name or payload in a pageview\'s JSON');

  const problems: string[] = [];
  const warn = (problem: string) => void problems.push(problem);
  t.same(eventPayload({ plan: 'pro', seats: 3 }, warn), { plan: 'pro', seats: 3 });
  const bare = Object.assign(Object.create(null) as object, { a: 1 });
  t.equal(eventPayload(bare, warn), bare, 'a prototype-less object is plain too');
  const otherRealm = vm.runInNewContext('({ a: 1 })') as object;
  t.equal(eventPayload(otherRealm, warn), otherRealm, "an object from another frame's realm is plain too");
  t.equal(eventPayload(undefined, warn), undefined);
  t.same(problems, [], 'no warning for valid or absent props');
  class Thing {
    a = 1;
  }
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  for (const [what, v] of [['array', [1]], ['date', new Date()], ['class instance', new Thing()], ['string', 'x'], ['function', () => 1], ['null', null], ['cycle', cyclic], ['too big', { s: 'x'.repeat(9000) }]] as const) {
    t.equal(eventPayload(v, warn), undefined, what);
  }
  t.same(problems, ['not a plain object', 'not a plain object', 'not a plain object', 'not a plain object', 'not a plain object', 'not JSON', 'over 8 KB'], 'each invalid props named (null is no props)');

  const f = fakeWindow();
  start(f.w, f.options());
  const beacon = f.w.beacon as (name?: unknown, props?: unknown) => void;
  const props = { plan: 'pro' };
  beacon('signup', props);
  props.plan = 'changed after the call';
  beacon('x'.repeat(80), [1, 2]);
  beacon(42);
  beacon();
  beacon('');
  f.tick();
  const events = f.beacons().filter((b) => b.type === 'event');
  t.same(events.map((b) => [b.name, b.payload]), [['signup', { plan: 'pro' }], ['x'.repeat(64), undefined], ['42', undefined]], 'snapshotted; no name, no event');
  t.same(Object.keys(events[0] ?? {}), ['type', 'url', 'referrer', 'viewportW', 'viewportH', 'timestamp', 'name', 'payload']);
});

t.test('transport: sendBeacon, else fetch with keepalive (refused, missing, throwing)', async (t) => {
  for (const transport of ['refused', 'no-beacon', 'beacon-throws'] as const) {
    const f = fakeWindow({ transport });
    start(f.w, f.options());
    f.tick();
    t.equal(f.requests.length, 1, transport);
    const [req] = f.requests;
    t.equal(req?.via, 'fetch', transport);
    t.equal(req?.url, ENDPOINT);
    t.same(req?.init, { method: 'POST', body: req?.body, keepalive: true, mode: 'no-cors' }, 'a string body: text/plain without a header to set');
    t.equal((JSON.parse(req?.body ?? '{}') as Beacon).type, 'pageview');
  }
  const ok = fakeWindow();
  start(ok.w, ok.options());
  ok.tick();
  t.same(ok.requests.map((r) => r.via), ['beacon'], 'sendBeacon accepted: no fetch');
});

t.test('transport: a failing fetch is caught, a missing one is silent', async (t) => {
  const f = fakeWindow({ transport: 'refused' });
  let caught: unknown;
  f.w.fetch = () => ({ catch: (fn: unknown) => (caught = fn) }) as unknown as Promise<unknown>;
  const sender = createSender(f.w, ENDPOINT, (fn) => fn());
  sender.enqueue(makeBeacon(f.w, T0, 'pageview', ''));
  t.type(caught, 'function', 'a rejected fetch would not surface as an unhandled rejection');
  delete f.w.fetch;
  t.doesNotThrow(() => createSender(f.w, ENDPOINT, (fn) => fn()).enqueue(makeBeacon(f.w, T0, 'pageview', '')));
});

t.test('batching: beacons of one task share requests of at most 50 and MAX_BODY_CHARS', async (t) => {
  const f = fakeWindow();
  start(f.w, f.options());
  const beacon = f.w.beacon as (name: string, props?: object) => void;
  for (let i = 0; i < 119; i++) beacon(`e${i}`);
  t.same(f.requests, [], 'nothing sent within the task');
  f.tick();
  const bodies = f.requests.map((r) => JSON.parse(r.body) as Beacon[]);
  t.same(bodies.map((b) => b.length), [50, 50, 20]);
  t.same(bodies.flat().map((b) => b.name ?? b.type), ['pageview', ...Array.from({ length: 119 }, (_, i) => `e${i}`)], 'in order');

  f.requests.length = 0;
  for (let i = 0; i < 6; i++) beacon(`big${i}`, { s: 'x'.repeat(8000) });
  f.tick();
  t.ok(f.requests.length >= 3, `big payloads split (${f.requests.length} requests)`);
  for (const r of f.requests) t.ok(r.body.length <= MAX_BODY_CHARS, `body of ${r.body.length} chars`);
  t.equal(f.beacons().length, 6);

  f.requests.length = 0;
  beacon('later');
  f.tick();
  t.equal((JSON.parse(f.requests[0]?.body ?? '') as Beacon).name, 'later', 'a lone beacon is sent as an object');
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

t.test('clsTracker: session windows, the largest wins, input-driven shifts skipped', async (t) => {
  const cls = clsTracker();
  const shift = (startTime: number, value: number, hadRecentInput = false) => cls.addShift({ entryType: 'layout-shift', startTime, duration: 0, value, hadRecentInput });
  shift(100, 0.05);
  shift(600, 0.05); // same window: 0.1
  shift(900, 0.5, true); // after input: ignored
  shift(3000, 0.08); // gap > 1 s: new window 0.08
  t.equal(cls.score(), 0.1);
  shift(3500, 0.04); // 0.12
  t.equal(cls.score(), 0.12);
  for (let s = 10_000; s <= 16_000; s += 500) shift(s, 0.01); // 13 shifts, but a window lasts 5 s
  t.equal(cls.score(), 0.12, 'capped windows: 0.1 at most for these');
  const precise = clsTracker();
  precise.addShift({ entryType: 'layout-shift', startTime: 0, duration: 0, value: 0.123456 });
  t.equal(precise.score(), 0.1235, 'four decimals');
});

t.test('performance: vitals and engagement on first hidden, only engagement later, sent at once', async (t) => {
  const f = fakeWindow({ navigation: { responseStart: 123.6, domContentLoadedEventEnd: 480.2, loadEventEnd: 910.9 } });
  start(f.w, f.options());
  f.tick();
  f.emit('largest-contentful-paint', [{ startTime: 800.4 }, { startTime: 1500.6 }]);
  f.emit('layout-shift', [{ startTime: 100, value: 0.01 }, { startTime: 300, value: 0.02, hadRecentInput: true }]);
  f.queue('layout-shift', [{ startTime: 400, value: 0.03 }]); // only takeRecords() sees it
  f.emit('event', [{ duration: 56, interactionId: 7 }, { duration: 300, interactionId: 0 }, { duration: 88, interactionId: 9 }]);
  f.emit('first-input', [{ duration: 60 }]);
  f.advance(12_345.4);
  f.setHidden(true);
  t.equal(f.requests.length, 2, 'sent within the visibilitychange, not deferred');
  const perf = f.beacons().at(-1);
  t.equal(perf?.type, 'performance');
  t.same(perf?.payload, { ttfb: 124, domContentLoaded: 480, load: 911, lcp: 1501, cls: 0.04, inp: 88, engagementMs: 12345 });

  f.advance(60_000); // hidden: not engaged
  f.setHidden(false);
  f.advance(500);
  f.w.fire('pagehide');
  t.same(f.beacons().at(-1)?.payload, { engagementMs: 500 }, 'later: only the engagement since the last send');
  f.setHidden(true);
  f.w.fire('pagehide');
  f.tick();
  t.equal(f.requests.length, 3, 'nothing new to report: nothing sent');
});

t.test('performance: what the browser cannot measure is left out', async (t) => {
  const f = fakeWindow({ supportedEntryTypes: ['largest-contentful-paint', 'first-input'], hidden: true });
  start(f.w, f.options());
  f.tick();
  f.emit('first-input', [{ duration: 33.3 }]);
  f.setHidden(false);
  f.advance(1000);
  f.setHidden(true);
  t.same(f.beacons().at(-1)?.payload, { inp: 33, engagementMs: 1000 }, 'no cls without layout-shift, no navigation entry, no lcp seen; first-input as INP');

  const hiddenAtLoad = fakeWindow({ hidden: true });
  start(hiddenAtLoad.w, hiddenAtLoad.options());
  hiddenAtLoad.tick();
  hiddenAtLoad.advance(5000);
  hiddenAtLoad.w.fire('pagehide');
  t.same(hiddenAtLoad.requests, [], 'never visible: nothing at all (no pageview, no performance row)');

  const throwing = fakeWindow();
  throwing.w.PerformanceObserver = class {
    static supportedEntryTypes = undefined;
    constructor() {
      throw new TypeError('unsupported');
    }
  } as unknown as Win['PerformanceObserver'];
  delete throwing.w.performance;
  start(throwing.w, throwing.options());
  throwing.advance(250);
  throwing.setHidden(true);
  t.same(throwing.beacons().map((b) => [b.type, b.payload]), [['pageview', undefined], ['performance', { engagementMs: 250 }]]);
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
