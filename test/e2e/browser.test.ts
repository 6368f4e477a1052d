// The collector script in a real browser: Debian's Chromium, headless, driven by playwright-core.
// A page on one origin (examples/test.html, served by a tiny server as http://site.test) loads
// collector.js from the service on another origin (http://collector.test); both names resolve to
// 127.0.0.1 inside the browser only, so neither is "localhost" to the script.
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import type { RowDataPacket } from 'mysql2/promise';
import { buildTestApp } from '../helpers/app.js';
import { BROWSER_UA, CHROMIUM, launchChromium } from '../helpers/chromium.js';
import { until } from '../helpers/process.js';

if (!existsSync(CHROMIUM)) {
  // Not a pass: CI installs chromium (.ci/run); a machine without it must say so loudly.
  t.fail(`${CHROMIUM} is missing: apt-get install chromium (see .ci/run)`);
} else {
  t.test('a visit in Chromium: pageview, SPA route change, custom event, error, performance, one session', async (t) => {
    // The page server: examples/test.html for every path (an SPA's fallback), pointed at the service.
    const template = readFileSync(new URL('../../examples/test.html', import.meta.url), 'utf8');
    let collectorOrigin = '';
    const site = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      // data-include-automation: Playwright's Chromium says navigator.webdriver, which the script otherwise skips.
      res.end(template.replaceAll('http://localhost:3006', collectorOrigin).replace(' data-include-localhost>', ' data-include-localhost data-include-automation>'));
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    t.teardown(() => new Promise((resolve) => site.close(resolve)));
    const siteOrigin = `http://site.test:${(site.address() as AddressInfo).port}`;

    const h = await buildTestApp(t, { ALLOWED_ORIGINS: siteOrigin, REQUIRE_ORIGIN: 'true', FLUSH_INTERVAL_MS: '100' });
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    collectorOrigin = `http://collector.test:${(h.app.server.address() as AddressInfo).port}`;

    // Headless, with Chromium's agent replaced browser-wide (a beacon sent while the page unloads
    // leaves from the browser process): the helper's launch, or the run's shared browser.
    const browser = await launchChromium(t);
    const context = await browser.newContext({ userAgent: BROWSER_UA, viewport: { width: 1111, height: 666 } });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));

    const rows = async () => {
      await h.flush();
      return h.db.query<RowDataPacket>('SELECT * FROM pageviews ORDER BY id');
    };
    const waitFor = async (what: string, check: (r: RowDataPacket[]) => boolean) => {
      const ok = await until(async () => check(await rows()), 15_000, 100);
      if (!ok) t.comment((await h.app.inject('/metrics')).body.split('\n').filter((l) => l.startsWith('beacons_')).join('\n'));
      if (!ok) throw new Error(`timed out waiting for ${what}: ${JSON.stringify((await rows()).map((r) => [r.type, r.url, r.event_name]))}`);
    };

    const landing = `${siteOrigin}/test.html?utm_source=newsletter&utm_medium=email&utm_campaign=launch`;
    await page.goto(landing, { referer: 'https://news.example.org/article' });
    await waitFor('the pageview and the queued event', (r) => r.length >= 2);
    const viewport = await page.evaluate("[innerWidth, innerHeight]");
    t.same(viewport, [1111, 666]);

    await page.click('#route');
    await waitFor('the route change', (r) => r.some((x) => x.url === `${siteOrigin}/pricing`));
    await page.click('#filter'); // replaceState on the same path: no pageview
    await page.click('#signup');
    await waitFor('the custom event', (r) => r.some((x) => x.event_name === 'signup'));
    await page.click('#error');
    await waitFor('the error', (r) => r.some((x) => x.type === 'error'));
    await page.goto('about:blank'); // pagehide: performance (vitals, timing, engagement)
    await waitFor('the performance beacon', (r) => r.some((x) => x.type === 'performance'));

    const stored = await rows();
    const pageviews = stored.filter((r) => r.type === 'pageview');
    t.same(pageviews.map((r) => r.url), [landing, `${siteOrigin}/pricing`], 'two pageviews: the landing and the pushState; replaceState on the same path sent none');
    const [first] = pageviews;
    t.equal(first?.user_agent, BROWSER_UA, "the browser's User-Agent header");
    t.equal(first?.browser, 'Chrome');
    t.equal(first?.viewport_width, 1111, "the browser's real viewport");
    t.equal(first?.viewport_height, 666);
    t.equal(first?.referrer, 'https://news.example.org/article');
    t.equal(pageviews[1]?.referrer, landing, 'an SPA pageview is referred by the previous route');
    t.ok(first?.client_timestamp instanceof Date);

    const queued = stored.find((r) => r.event_name === 'example_opened');
    t.same(queued?.payload, { queued: true }, 'a call made before the script loaded was queued and sent');
    const signup = stored.find((r) => r.event_name === 'signup');
    t.equal(signup?.type, 'event');
    t.same(signup?.payload, { plan: 'pro', seats: 3 });
    t.equal(signup?.url, `${siteOrigin}/pricing?sort=price`, 'sent from the current URL');
    const error = stored.find((r) => r.type === 'error');
    t.match(error?.payload, { message: /Test error from the example page/ });
    t.ok(pageErrors.some((m) => m.includes('Test error')), 'the error still reached the page as uncaught: the script does not swallow it');
    const perf = stored.find((r) => r.type === 'performance');
    t.match(perf?.payload, { ttfb: Number, engagementMs: Number }, 'navigation timing and engagement time');

    const sessionIds = new Set(stored.map((r) => r.session_id));
    t.equal(sessionIds.size, 1, 'every beacon of the visit in one session');
    const sessions = await h.db.query<RowDataPacket>('SELECT * FROM sessions');
    t.equal(sessions.length, 1);
    t.match(sessions[0], {
      entry_url: landing,
      entry_referrer: 'https://news.example.org/article',
      utm_source: 'newsletter',
      utm_medium: 'email',
      utm_campaign: 'launch',
      pageviews: 2,
      events: 2, // example_opened and signup; the error and the performance beacon are no interaction
    });
    t.equal(sessions[0]?.exit_url, `${siteOrigin}/pricing`);
  });
}
