// Umami's tracker script (the `umami` package's src/tracker/index.js from npm, built as its own build
// does) on a page of one origin, pointed at this service on another with data-host-url: the
// pageview, a data-umami-event click with its data, an SPA navigation, the x-umami-cache round trip
// through a CORS preflight, all in MariaDB in one session.
import t from 'tap';
import type { RowDataPacket } from 'mysql2/promise';
import { browserSite, html } from '../helpers/browser-site.js';
import { BROWSER_UA } from '../helpers/chromium.js';
import { UMAMI_VERSION, umamiTrackerScript } from '../helpers/umami-tracker.js';

t.test(`Umami's tracker (umami@${UMAMI_VERSION}): pageview, event with data, pushState; attribution and session`, async (t) => {
  const tracker = await umamiTrackerScript();
  t.ok(tracker.includes('/api/send') && tracker.includes('x-umami-cache'), 'the real tracker, built');
  const site = await browserSite(t, (s) => ({
    '/shop': html(
      `<script data-website-id="3f8d7c2e-1111-4222-8333-444455556666" data-host-url="${s.collector}">${tracker}</script>`,
      '<h1>Shop</h1><button id="buy" data-umami-event="checkout" data-umami-event-plan="pro" data-umami-event-seats="3">Buy</button>',
    ).replace('<title>t</title>', '<title>Shop &amp; café</title>'),
  }));
  const browser = await site.launch();
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 720 } })).newPage();
  const errors: string[] = [];
  // The site's server has no favicon: Chromium's request for it is the site's 404, not the tracker's.
  page.on('console', (m) => m.type() === 'error' && !m.location().url.endsWith('/favicon.ico') && errors.push(`${m.text()} (${m.location().url})`));
  page.on('pageerror', (e) => errors.push(e.message));
  const cacheHeaders: (string | undefined)[] = [];
  page.on('request', (r) => r.url().endsWith('/api/send') && r.method() === 'POST' && cacheHeaders.push(r.headers()['x-umami-cache']));

  // Each step waits for the tracker to have read the answer before the next, so the next request
  // carries what it kept (a busy machine could otherwise send two before the first answer is read).
  const answered = () => page.waitForResponse((r) => r.url().endsWith('/api/send') && r.request().method() === 'POST').then((r) => r.finished());
  const landing = `${site.origin}/shop?utm_source=mastodon&utm_medium=social&utm_content=post-1`;
  let answer = answered();
  await page.goto(landing, { referer: 'https://social.example/' });
  await answer;
  answer = answered();
  await page.click('#buy');
  await answer;
  answer = answered();
  await page.evaluate("history.pushState({}, '', '/shop/cart')");
  await answer;
  const rows = await site.waitFor('the SPA pageview', (r) => r.some((x) => x.url === `${site.origin}/shop/cart`) && r.some((x) => x.type === 'event'));

  const pageviews = rows.filter((r) => r.type === 'pageview');
  t.same(pageviews.map((r) => r.url), [landing, `${site.origin}/shop/cart`], 'one pageview per route, path resolved on the page\'s origin');
  t.match(pageviews[0], { hostname: 'site.test', referrer: 'https://social.example/', user_agent: BROWSER_UA, browser: 'Chrome', payload: { $title: 'Shop & café', $screen: '1280x720', $language: String } });
  t.equal(pageviews[1]?.referrer, landing, 'after pushState the tracker sends the previous path: resolved, a same-site referrer');
  t.match(rows.filter((r) => r.type === 'event'), [{ event_name: 'checkout', url: landing, hostname: 'site.test', user_agent: BROWSER_UA, payload: { plan: 'pro', seats: '3', $title: 'Shop & café' } }]);
  t.equal(rows.length, 3);
  t.equal(new Set(rows.map((r) => r.session_id)).size, 1, 'one session');
  const [session] = await site.app.db.query<RowDataPacket>('SELECT * FROM sessions');
  t.match(session, {
    hostname: 'site.test', entry_url: landing, entry_referrer: 'https://social.example/', exit_url: `${site.origin}/shop/cart`,
    utm_source: 'mastodon', utm_medium: 'social', utm_content: 'post-1', pageviews: 2, events: 1,
  });
  t.same(cacheHeaders, [undefined, '{"cache":""}', '{"cache":""}'], 'the tracker kept our answer and sent it back (through the preflight)');
  t.same(errors, [], 'no console errors in the page');
});
