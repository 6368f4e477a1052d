// When a page counts (src/client/page-lifecycle.ts wired by start.ts): once first shown, never if
// never shown, again at a back/forward-cache restore; the vitals of prerendered, hidden and restored
// views as web-vitals reports them.
import t from 'tap';
import { start } from '../../src/client/start.js';
import { fakeWindow, PAGE } from './fake-window.js';

const kinds = (f: ReturnType<typeof fakeWindow>) => f.beacons().map((b) => [b.type, b.name ?? '', b.url]);

t.test('a page loaded in a background tab: counted when first shown, once; beacons made before go after its pageview', async (t) => {
  const f = fakeWindow({ hidden: true });
  start(f.w, f.options());
  (f.w.beacon as (n: string) => void)('early');
  f.w.fire('error', { message: 'early error', filename: 'https://shop.example/app.js', lineno: 1 });
  f.tick();
  t.same(f.requests, [], 'nothing while hidden');
  f.advance(5000);
  f.setHidden(false);
  f.tick();
  t.same(kinds(f), [['pageview', '', PAGE], ['event', 'early', PAGE], ['error', '', PAGE]], 'the pageview, then what was held, in order');
  t.equal(f.beacons()[0]?.timestamp, f.beacons()[1]!.timestamp + 5000, 'the pageview is timed when seen');
  f.advance(700);
  f.setHidden(true);
  f.setHidden(false);
  f.tick();
  t.same(f.beacons().filter((b) => b.type === 'pageview').length, 1, 'shown again after a hide: no second pageview');
  t.equal((f.beacons().find((b) => b.type === 'performance')?.payload as { engagementMs: number }).engagementMs, 700, 'engaged from when it was shown, not from the load');
});

t.test('never shown: nothing at all, whatever happened on it', async (t) => {
  const f = fakeWindow({ hidden: true });
  start(f.w, f.options());
  (f.w.beacon as (n: string) => void)('x');
  f.w.fire('error', { message: 'boom', lineno: 1 });
  (f.w.history as { pushState(...a: unknown[]): unknown }).pushState(null, '', '/elsewhere');
  f.setHidden(true);
  f.w.fire('pagehide', { persisted: false });
  f.tick();
  t.same(f.requests, []);
});

t.test('prerendered: counted at activation, at the address it is shown at; vitals from activationStart', async (t) => {
  const f = fakeWindow({ prerendering: true, navigation: { activationStart: 800, responseStart: 120, domContentLoadedEventEnd: 300, loadEventEnd: 1000.4 } });
  start(f.w, f.options());
  f.emit('largest-contentful-paint', [{ startTime: 450 }]);
  (f.w.history as { replaceState(...a: unknown[]): unknown }).replaceState(null, '', '/products/shoes');
  f.tick();
  t.same(f.requests, [], 'nothing while prerendering');
  f.activate();
  f.tick();
  t.same(kinds(f), [['pageview', '', 'https://shop.example/products/shoes']], 'one pageview, for the route it was shown at');
  f.advance(2000);
  f.setHidden(true);
  t.same(f.beacons().at(-1)?.payload, { ttfb: 0, domContentLoaded: 0, load: 200, lcp: 0, cls: 0, engagementMs: 2000 }, 'what happened before activation is 0, as web-vitals counts it');
});

t.test('loaded hidden: no LCP or CLS (web-vitals reports none); a page shown at load keeps them', async (t) => {
  const hidden = fakeWindow({ hidden: true });
  start(hidden.w, hidden.options());
  hidden.emit('largest-contentful-paint', [{ startTime: 300 }]);
  hidden.emit('layout-shift', [{ startTime: 100, value: 0.1 }]);
  hidden.setHidden(false);
  hidden.advance(100);
  hidden.setHidden(true);
  t.same(hidden.beacons().at(-1)?.payload, { engagementMs: 100 });
  const shown = fakeWindow();
  start(shown.w, shown.options());
  shown.emit('largest-contentful-paint', [{ startTime: 300 }]);
  shown.setHidden(true);
  t.same(shown.beacons().at(-1)?.payload, { lcp: 300, cls: 0 });
});

t.test('back/forward cache: a restore is a pageview and a new measurement', async (t) => {
  const f = fakeWindow({ navigation: { responseStart: 50, domContentLoadedEventEnd: 200, loadEventEnd: 300 } });
  start(f.w, f.options());
  f.emit('largest-contentful-paint', [{ startTime: 250 }]);
  f.emit('event', [{ duration: 300, interactionId: 1 }]);
  f.emit('layout-shift', [{ startTime: 100, value: 0.2 }]);
  f.advance(1000);
  f.leaveToCache();
  t.same(f.beacons().at(-1)?.payload, { ttfb: 50, domContentLoaded: 200, load: 300, lcp: 250, cls: 0.2, inp: 300, engagementMs: 1000 }, 'the load, sent at the hide');
  f.advance(60_000); // in the cache: not engaged
  f.restoreFromCache();
  f.tick();
  t.same(kinds(f).at(-1), ['pageview', '', PAGE], 'the restore: a pageview');
  f.emit('event', [{ duration: 64, interactionId: 2 }]);
  f.advance(1500);
  f.leaveToCache();
  t.same(f.beacons().at(-1)?.payload, { cls: 0, inp: 64, engagementMs: 1500 }, "the restored view's own INP, CLS and time; no navigation timings or LCP");
  t.same(f.beacons().map((b) => b.type), ['pageview', 'performance', 'pageview', 'performance']);
  f.w.fire('pageshow', { persisted: false });
  f.tick();
  t.equal(f.beacons().length, 4, 'a pageshow that is not a restore (the first load) counts nothing more');
});
