// Which URL changes are pages (src/client/navigation.ts) and the rows an SPA's routes leave.
import t from 'tap';
import { pageAddress } from '../../src/client/navigation.js';
import { start } from '../../src/client/start.js';
import { fakeWindow, PAGE } from './fake-window.js';

t.test('pageAddress: hash routes are part of the address, anchors are not, and stay on the page they jump in', async (t) => {
  t.equal(pageAddress('https://a.example/x#/h1', ''), 'https://a.example/x#/h1');
  t.equal(pageAddress('https://a.example/x#!/h1', ''), 'https://a.example/x#!/h1');
  t.equal(pageAddress('https://a.example/x#top', ''), 'https://a.example/x', 'a landing with an anchor: the page without it');
  t.equal(pageAddress('https://a.example/x#section', 'https://a.example/x#/h1'), 'https://a.example/x#/h1', 'an anchor after a hash route: still that route');
  t.equal(pageAddress('https://a.example/y#section', 'https://a.example/x#/h1'), 'https://a.example/y', 'an anchor on another page: that page');
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
