// Plausible's own tracker (@plausible-analytics/tracker from npm, bundled here by esbuild) on a page
// of one origin, pointed at this service on another: pageviews, a custom event with props and
// revenue, an SPA navigation and the engagement ping land in MariaDB, in one session.
import { createRequire } from 'node:module';
import t from 'tap';
import { build } from 'esbuild';
import { browserSite, html } from '../helpers/browser-site.js';
import { BROWSER_UA } from '../helpers/chromium.js';

/** The published tracker as one classic script exposing `window.PlausibleTracker` ({ init, track }). */
async function bundledTracker(): Promise<string> {
  const entry = createRequire(import.meta.url).resolve('@plausible-analytics/tracker');
  const out = await build({ entryPoints: [entry], bundle: true, format: 'iife', globalName: 'PlausibleTracker', write: false, minify: true, target: 'es2019' });
  return out.outputFiles[0]?.text ?? '';
}

t.test("Plausible's tracker: pageviews, props, revenue, SPA navigation, engagement; its attribution and session", async (t) => {
  const tracker = await bundledTracker();
  t.ok(tracker.includes('/api/event'), 'the real tracker, bundled');
  const site = await browserSite(t, (s) => {
    // window.__plausible: the tracker's own switch for automated browsers (it skips navigator.webdriver).
    const start = `<script>${tracker}</script><script>window.__plausible = true;
      PlausibleTracker.init({ domain: 'site.test', endpoint: '${s.collector}/api/event', customProperties: { plan: 'free' } });</script>`;
    return { '/app': html(start, '<h1>Plausible on an SPA</h1><p style="height:3000px">long</p>') };
  });
  const browser = await site.launch();
  const page = await (await browser.newContext({ viewport: { width: 1000, height: 700 } })).newPage();
  const errors: string[] = [];
  // The site's server has no favicon: Chromium's request for it is the site's 404, not the tracker's.
  page.on('console', (m) => m.type() === 'error' && !m.location().url.endsWith('/favicon.ico') && errors.push(`${m.text()} (${m.location().url})`));
  page.on('pageerror', (e) => errors.push(e.message));
  const landing = `${site.origin}/app?utm_source=newsletter&utm_medium=email&utm_campaign=spring`;
  await page.goto(landing, { referer: 'https://news.example/' });
  await site.waitFor('the landing pageview', (r) => r.some((x) => x.type === 'pageview'));

  await page.evaluate("PlausibleTracker.track('Signup', { props: { tier: 'startup' }, revenue: { amount: 15.99, currency: 'EUR' } })");
  await site.waitFor('the custom event', (r) => r.some((x) => x.type === 'event'));
  await page.evaluate('window.scrollTo(0, 1500)');
  await page.waitForTimeout(200);
  await page.evaluate("history.pushState({}, '', '/app/pricing')");
  const rows = await site.waitFor('the SPA pageview and the engagement ping', (r) =>
    r.some((x) => x.url === `${site.origin}/app/pricing`) && r.some((x) => x.type === 'performance'));

  const byType = (type: string) => rows.filter((r) => r.type === type);
  t.same(byType('pageview').map((r) => r.url), [landing, `${site.origin}/app/pricing`], 'one pageview per route');
  for (const r of rows) {
    // The engagement ping carries no referrer (the tracker sends none with it).
    const referrer = r.type === 'performance' ? null : 'https://news.example/';
    t.match(r, { hostname: 'site.test', user_agent: BROWSER_UA, browser: 'Chrome', referrer }, `${r.type} ${r.url}: host, agent and the page's referrer`);
  }
  t.same(byType('pageview')[0]?.payload, { plan: 'free' }, 'customProperties on the pageview');
  t.match(byType('event'), [{ event_name: 'Signup', url: landing, payload: { tier: 'startup', plan: 'free', $revenue: { amount: '15.99', currency: 'EUR' } } }]);
  const engagement = byType('performance')[0];
  t.equal(engagement?.url, landing, 'the engagement ping is for the page left');
  t.ok(engagement?.payload.scrollDepth > 0 && engagement?.payload.scrollDepth <= 100, `scroll depth ${engagement?.payload.scrollDepth}%`);
  t.ok(engagement?.payload.engagementMs >= 0, `engaged ${engagement?.payload.engagementMs} ms`);

  const sessionIds = new Set(rows.map((r) => r.session_id));
  t.equal(sessionIds.size, 1, 'one session');
  const [session] = await site.app.db.query<import('mysql2/promise').RowDataPacket>('SELECT * FROM sessions');
  t.match(session, {
    hostname: 'site.test', entry_url: landing, entry_referrer: 'https://news.example/', exit_url: `${site.origin}/app/pricing`,
    utm_source: 'newsletter', utm_medium: 'email', utm_campaign: 'spring', pageviews: 2, events: 1,
  });
  t.same(errors, [], 'no console errors in the page');
});
