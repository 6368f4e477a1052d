// A page restored from Chromium's back/forward cache is seen again: a pageview, and a new
// measurement (its own INP and engaged time), as Plausible counts it and web-vitals measures it.
// Playwright turns the cache off by default (--disable-back-forward-cache): launch({ bfcache }) keeps it.
import t from 'tap';
import { browserSite, html } from '../helpers/browser-site.js';

t.test('back to a page from the bfcache: a pageview, then its own performance row with the INP measured after the restore', async (t) => {
  const site = await browserSite(t, (s) => ({
    '/one': html(
      s.tag(),
      `<h1>Page one</h1><a id="next" href="/two">next</a>
       <button id="slow" onclick="const end = performance.now() + 600; while (performance.now() < end);">slow</button>`,
      "<script>addEventListener('pageshow', (e) => { window.restored = e.persisted })</script>",
    ),
    '/two': html(s.tag(), '<h1>Page two</h1>'),
  }));
  const browser = await site.launch({ bfcache: true });
  const page = await (await browser.newContext()).newPage();
  const one = `${site.origin}/one`;
  await page.goto(one);
  await site.waitFor('the first pageview', (r) => r.some((x) => x.url === one));
  await page.click('#next');
  await site.waitFor('page two', (r) => r.some((x) => x.url === `${site.origin}/two`));
  await page.goBack({ waitUntil: 'commit' }); // a restore fires no load event
  await page.waitForFunction('window.restored !== undefined', undefined, { timeout: 10_000 });
  t.equal(await page.evaluate('window.restored'), true, 'restored from the back/forward cache (pageshow persisted)');
  await site.waitFor('the restored pageview', (r) => r.filter((x) => x.type === 'pageview' && x.url === one).length === 2);
  await page.click('#slow');
  await page.waitForTimeout(200);
  await page.goto('about:blank');
  const rows = await site.waitFor('the restored view\'s row', (r) => r.filter((x) => x.type === 'performance' && x.url === one).length === 2);

  t.same(
    rows.filter((r) => r.type === 'pageview').map((r) => r.url),
    [one, `${site.origin}/two`, one],
    'the restore is a pageview',
  );
  const [first, restored] = rows.filter((r) => r.type === 'performance' && r.url === one);
  t.match(first?.payload, { ttfb: Number, engagementMs: Number }, 'the load: navigation timings');
  t.ok(!(first?.payload.inp >= 600), `the load's INP (the link's click, ${first?.payload.inp} ms) knows nothing of the slow click after the restore`);
  t.notOk('ttfb' in (restored?.payload ?? {}) || 'lcp' in (restored?.payload ?? {}), 'the restore loaded nothing: no navigation timings, no LCP');
  t.ok(restored?.payload.inp >= 600, `the restored view's INP: ${restored?.payload.inp} ms (a 600 ms handler)`);
  t.ok(restored?.payload.engagementMs > 0, `its engaged time: ${restored?.payload.engagementMs} ms`);
});
