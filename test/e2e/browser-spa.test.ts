// An SPA in Chromium: each route its own pageview and its own performance row (its engaged time
// under its URL), the landing page's load vitals on the landing page, anchor jumps no page.
import t from 'tap';
import { browserSite, html } from '../helpers/browser-site.js';

t.test('SPA routes: a performance row per route under its own URL; anchors are no page, hash routes are', async (t) => {
  const site = await browserSite(t, (s) => ({
    '/app': html(s.tag(), '<h1>An SPA landing page with some text to paint</h1><p id="section">section</p>'),
  }));
  const browser = await site.launch();
  const page = await (await browser.newContext({ viewport: { width: 800, height: 600 } })).newPage();
  const landing = `${site.origin}/app?from=mail`;
  await page.goto(landing);
  await site.waitFor('the landing pageview', (r) => r.some((x) => x.type === 'pageview'));
  await page.waitForTimeout(300); // engaged time on the landing route
  await page.evaluate("history.pushState({}, '', '/app/a')");
  await page.waitForTimeout(200);
  await page.evaluate("location.hash = '#/h1'"); // a hash route: a page
  await site.waitFor('the hash route', (r) => r.some((x) => x.url === `${site.origin}/app/a#/h1`));
  await page.waitForTimeout(200);
  await page.evaluate("location.hash = '#section'"); // an anchor jump after a hash route: no page
  await page.evaluate('history.back()'); // back from the anchor to the route: no page either
  await page.waitForFunction("location.hash == '#/h1'");
  await page.waitForTimeout(100);
  await page.goto('about:blank'); // pagehide: the last route's row
  const rows = await site.waitFor('three performance rows', (r) => r.filter((x) => x.type === 'performance').length >= 3);

  t.same(
    rows.filter((r) => r.type === 'pageview').map((r) => r.url),
    [landing, `${site.origin}/app/a`, `${site.origin}/app/a#/h1`],
    'one pageview per route; #section after #/h1, and back to #/h1, none',
  );
  const perf = rows.filter((r) => r.type === 'performance');
  t.same(perf.map((r) => r.url), [landing, `${site.origin}/app/a`, `${site.origin}/app/a#/h1`], 'each route a row under its own URL');
  t.match(perf[0]?.payload, { ttfb: Number, lcp: Number, cls: Number, engagementMs: Number }, "the landing page's load vitals stay on it");
  t.ok(perf[0]?.payload.engagementMs >= 300 && perf[0]?.payload.engagementMs < 60_000, `landing engaged ${perf[0]?.payload.engagementMs} ms (milliseconds, at least the 300 waited)`);
  for (const r of perf.slice(1)) {
    t.same(Object.keys(r.payload), ['engagementMs'], `${r.url}: only its engaged time`);
    t.ok(r.payload.engagementMs >= 200, `${r.url}: ${r.payload.engagementMs} ms (at least the 200 waited)`);
  }
});
