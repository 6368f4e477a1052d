// A page prerendered by speculation rules is counted only when it is shown (activated), once, with
// its vitals from activationStart; never if it is not. Chromium turns prerendering off while DevTools
// is attached, so Chromium is started directly (no Playwright) and the results read from the database.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { browserSite, html, type Test } from '../helpers/browser-site.js';
import { BROWSER_UA, CHROMIUM, HOSTS } from '../helpers/chromium.js';
import { until } from '../helpers/process.js';

/** /start prerenders /pre; /pre reports document.prerendering to /ran once the collector has run;
 * with ?go, /start then navigates to /pre, which activates it. */
async function prerenderSite(t: Test) {
  const reports: string[] = [];
  const site = await browserSite(t, (s) => ({
    '/start': html(
      s.tag(),
      `<h1>Start</h1><script type="speculationrules">{"prerender": [{"source": "list", "urls": ["/pre"]}]}</script>
       <script>
         if (location.search == '?go') setInterval(async () => {
           if ((await (await fetch('/state')).text()) == 'ran') location.href = '/pre';
         }, 100);
       </script>`,
    ),
    '/pre': html(
      s.tag(),
      '<h1>A prerendered page with some text to paint</h1>',
      `<script>
        addEventListener('DOMContentLoaded', () => fetch('/ran?prerendering=' + document.prerendering + '&script=' + typeof beacon));
        // Once shown: what web-vitals counts from (activationStart), the raw LCP and TTFB, then leave.
        document.addEventListener('prerenderingchange', () => setTimeout(() => {
          new PerformanceObserver((list) => {
            const nav = performance.getEntriesByType('navigation')[0];
            const lcp = list.getEntries().at(-1).startTime;
            fetch('/vitals?activation=' + nav.activationStart + '&lcp=' + lcp + '&ttfb=' + nav.responseStart).then(() => (location.href = '/end'));
          }).observe({ type: 'largest-contentful-paint', buffered: true });
        }, 300));
      </script>`,
    ),
    '/end': html('', '<h1>The end</h1>'),
  }), (path) => {
    if (path.startsWith('/ran') || path.startsWith('/vitals')) reports.push(path);
    if (path === '/state') return reports.length ? 'ran' : 'not yet';
    return path.startsWith('/ran') || path.startsWith('/vitals') ? 'ok' : undefined;
  });
  const open = (url: string) => {
    const profile = mkdtempSync(join(tmpdir(), 'chromium-'));
    // Detached, killed as a group: /usr/bin/chromium is a shell script that starts the browser.
    const child = spawn(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', HOSTS, `--user-agent=${BROWSER_UA}`, `--user-data-dir=${profile}`, url], { stdio: 'ignore', detached: true });
    t.teardown(async () => {
      const exited = child.exitCode === null ? once(child, 'exit') : null;
      process.kill(-(child.pid as number), 'SIGKILL');
      await exited;
      rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
    });
  };
  return { site, reports, open };
}

t.test('prerendered and never shown: nothing stored for it', async (t) => {
  const { site, reports, open } = await prerenderSite(t);
  open(`${site.origin}/start`);
  t.ok(await until(async () => reports.length > 0, 30_000, 100), 'the prerendered page ran');
  t.same(reports, ['/ran?prerendering=true&script=function'], 'while prerendering, with the collector loaded');
  await site.waitFor('the start pageview', (r) => r.some((x) => x.url === `${site.origin}/start`), 30_000);
  await new Promise((resolve) => setTimeout(resolve, 1500)); // what the old script sent at load had arrived by now
  const rows = await site.rows();
  t.same(rows.filter((r) => r.url.endsWith('/pre')).map((r) => r.type), [], 'no pageview, no row at all for /pre');
});

t.test('prerendered, then shown: one pageview at activation, vitals from activationStart', async (t) => {
  const { site, reports, open } = await prerenderSite(t);
  const pre = `${site.origin}/pre`;
  open(`${site.origin}/start?go`);
  // Chromium's start, the prerender and the activation: seconds on a busy machine.
  await site.waitFor('the activated pageview', (r) => r.some((x) => x.url === pre && x.type === 'pageview'), 30_000);
  t.equal(reports[0], '/ran?prerendering=true&script=function', 'it was prerendered');
  // /pre leaves for /end once shown: its pagehide sends its performance row.
  const rows = await site.waitFor('the performance row of /pre', (r) => r.some((x) => x.url === pre && x.type === 'performance'));
  t.same(rows.filter((r) => r.url === pre).map((r) => r.type), ['pageview', 'performance'], 'counted once, when shown');
  t.ok(rows.findIndex((r) => r.url === pre) > rows.findIndex((r) => r.url === `${site.origin}/start?go`), 'after the page it was shown from');

  const measured = new URL(reports.find((r) => r.startsWith('/vitals')) ?? '/vitals', 'http://x').searchParams;
  const activation = Number(measured.get('activation'));
  t.ok(activation > 0, `activated at ${activation} ms`);
  const fromActivation = (v: string | null) => Math.round(Math.max(Number(v) - activation, 0));
  const perf = rows.find((r) => r.url === pre && r.type === 'performance');
  t.equal(perf?.payload.lcp, fromActivation(measured.get('lcp')), `LCP from activationStart as web-vitals counts it (raw ${measured.get('lcp')} ms)`);
  t.equal(perf?.payload.ttfb, fromActivation(measured.get('ttfb')), `TTFB too (raw ${measured.get('ttfb')} ms)`);
});
