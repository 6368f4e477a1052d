// A page opened in a background tab is counted when it is first shown, once, and not before. Headless
// Chromium reports every tab visible, so this one is headful under Xvfb (xvfb-run, Debian's `xvfb`),
// started directly with two URLs: Chromium shows the first tab and loads the second in the
// background; the first closes itself when the test says, which shows the second.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { browserSite, html } from '../helpers/browser-site.js';
import { BROWSER_UA, CHROMIUM, HOSTS } from '../helpers/chromium.js';
import { until } from '../helpers/process.js';

t.test('a background tab: no pageview while hidden, exactly one once shown', async (t) => {
  if (spawnSync('xvfb-run', ['--help'], { stdio: 'ignore' }).error) throw new Error('xvfb-run is missing: apt-get install xvfb (see .ci/run)');
  const reports: string[] = [];
  let close = false;
  const site = await browserSite(t, (s) => ({
    // The tab in front: it closes itself (a tab with one history entry may) once told to.
    '/front': html(
      '',
      `<h1>Front</h1><script>
         setInterval(async () => { if ((await (await fetch('/close')).text()) == 'yes') window.close() }, 100);
       </script>`,
    ),
    // The background tab: it reports its visibility at load once the collector has run (deferred
    // scripts run before DOMContentLoaded), and each change.
    '/back': html(
      s.tag(),
      '<h1>A page opened in the background</h1>',
      `<script>
         addEventListener('DOMContentLoaded', () => fetch('/report?load=' + document.visibilityState + '&script=' + typeof beacon));
         document.addEventListener('visibilitychange', () => fetch('/report?change=' + document.visibilityState));
       </script>`,
    ),
  }), (path) => {
    if (path.startsWith('/report')) reports.push(path);
    if (path === '/close') return close ? 'yes' : 'no';
    return path.startsWith('/report') ? 'ok' : undefined;
  });
  const back = `${site.origin}/back`;

  const profile = mkdtempSync(join(tmpdir(), 'chromium-'));
  // Detached, killed as a group: xvfb-run starts Xvfb, and /usr/bin/chromium is a shell script.
  const child = spawn('xvfb-run', ['-a', CHROMIUM, '--no-sandbox', '--disable-gpu', '--no-first-run', HOSTS, `--user-agent=${BROWSER_UA}`, `--user-data-dir=${profile}`, `${site.origin}/front`, back], { stdio: 'ignore', detached: true });
  t.teardown(async () => {
    const exited = child.exitCode === null ? once(child, 'exit') : null;
    process.kill(-(child.pid as number), 'SIGKILL');
    await exited;
    rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
  });

  t.ok(await until(async () => reports.length > 0, 30_000, 100), 'the background tab loaded');
  t.same(reports, ['/report?load=hidden&script=function'], 'hidden at load, with the collector run');
  await new Promise((resolve) => setTimeout(resolve, 1500)); // what a pageview sent at load would take to arrive
  t.same((await site.rows()).filter((r) => r.url === back), [], 'nothing stored while it was never shown');

  close = true;
  await site.waitFor('the pageview once shown', (r) => r.some((x) => x.url === back && x.type === 'pageview'), 30_000);
  await until(async () => reports.length > 1, 5000, 50);
  t.same(reports.slice(1, 2), ['/report?change=visible'], 'it was shown');
  await new Promise((resolve) => setTimeout(resolve, 1000));
  t.same((await site.rows()).filter((r) => r.url === back).map((r) => r.type), ['pageview'], 'exactly one pageview');
});
