// Which URL changes are pages (src/client/navigation.ts) and the rows an SPA's routes leave.
import t from 'tap';
import { isNewPage } from '../../src/client/navigation.js';
import { start } from '../../src/client/start.js';
import { fakeWindow, PAGE } from './fake-window.js';

t.test('isNewPage: hash routes are pages, anchors never, even after a hash route or when dropped', async (t) => {
  const isNew = (from: string, to: string) => isNewPage(from, to, false);
  t.ok(isNew('https://a.example/x', 'https://a.example/x#/h1'), 'a hash route');
  t.ok(isNew('https://a.example/x#/h1', 'https://a.example/x#!/h2'), 'another hash route');
  t.ok(isNew('https://a.example/x#/h1', 'https://a.example/x'), 'leaving a hash route for the root');
  t.notOk(isNew('https://a.example/x#/h1', 'https://a.example/x#section'), 'an anchor after a hash route');
  t.notOk(isNew('https://a.example/x', 'https://a.example/x#section'), 'an anchor');
  t.notOk(isNew('https://a.example/x#top', 'https://a.example/x'), 'an anchor dropped');
  t.notOk(isNew('https://a.example/x#top', 'https://a.example/x#faq'), 'another anchor');
  t.ok(isNew('https://a.example/x#top', 'https://a.example/y#top'), 'another path, whatever the fragment');
});

t.test('routes: each left route reports its own engaged time under its own URL; the landing route its load vitals', async (t) => {
  const f = fakeWindow({ navigation: { responseStart: 80 } });
  start(f.w, f.options());
  const h = f.w.history as { pushState(...a: unknown[]): unknown };
  f.emit('largest-contentful-paint', [{ startTime: 900 }]);
  f.advance(3000);
  h.pushState(null, '', '/cart');
  f.advance(2000);
  f.moveTo('https://shop.example/cart#/step-1'); // a hash route: a page
  f.w.fire('popstate');
  f.advance(1000);
  f.moveTo('https://shop.example/cart#shipping'); // an anchor in it: no page, no row
  f.w.fire('popstate');
  f.advance(500);
  f.moveTo('https://shop.example/cart#/step-1'); // back from the anchor: the same route
  f.w.fire('popstate');
  f.advance(250);
  f.moveTo('https://shop.example/cart#faq'); // hidden while at an anchor: the row still goes under the route
  f.w.fire('popstate');
  f.setHidden(true);
  f.tick();
  t.same(
    f.beacons().map((b) => [b.type, b.url, b.payload ?? null]),
    [
      ['pageview', PAGE, null],
      ['performance', PAGE, { ttfb: 80, lcp: 900, cls: 0, engagementMs: 3000 }],
      ['pageview', 'https://shop.example/cart', null],
      ['performance', 'https://shop.example/cart', { engagementMs: 2000 }],
      ['pageview', 'https://shop.example/cart#/step-1', null],
      ['performance', 'https://shop.example/cart#/step-1', { engagementMs: 1750 }], // 1000 + 500 in the anchor + 250
    ],
  );
  t.equal(f.beacons()[4]?.referrer, 'https://shop.example/cart', 'a route is referred by the previous one');
});

t.test('a query change: a page when pushed (a history entry), not when replaced (filters, sort)', async (t) => {
  const f = fakeWindow();
  start(f.w, f.options());
  const h = f.w.history as { pushState(...a: unknown[]): unknown; replaceState(...a: unknown[]): unknown };
  h.replaceState(null, '', '?sort=price');
  h.pushState(null, '', '?page=2');
  f.tick();
  t.same(f.beacons().filter((b) => b.type === 'pageview').map((b) => b.url), [PAGE, 'https://shop.example/products?page=2']);
});
