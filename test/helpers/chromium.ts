// Debian's Chromium for the browser tests, as Playwright launches it. Kept free of the app's modules:
// scripts/test.mjs imports it (compiled) to launch the one browser a whole `npm test` run shares.
import { chromium, type Browser, type LaunchOptions } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
// A regular desktop Chrome agent: Chromium's own "HeadlessChrome" agent is rightly dropped as a bot.
export const BROWSER_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';
// other.test: the site's server under a third name, for a cross-origin script.
export const HOSTS = '--host-resolver-rules=MAP site.test 127.0.0.1, MAP collector.test 127.0.0.1, MAP other.test 127.0.0.1';
// Browser-wide, not only per page: a beacon sent while the page unloads leaves from the browser
// process, which would otherwise say "HeadlessChrome" and be dropped as a bot.
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', HOSTS, `--user-agent=${BROWSER_UA}`];
export const LAUNCH_OPTIONS: LaunchOptions = { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS };

/** Names the browser server scripts/test.mjs launched with LAUNCH_OPTIONS for the run (its ws endpoint). */
export const SHARED_BROWSER_ENV = 'TEST_CHROMIUM_WS';

interface Teardown {
  teardown(fn: () => unknown): void;
}

/**
 * Headless Chromium for a test; what the test opened in it is closed at teardown. Under `npm test`
 * the test connects to the one browser the run shares (SHARED_BROWSER_ENV), launched with the same
 * options, instead of starting its own: a launch costs ~2.5 s of CPU on two cores, a connection
 * almost none, and the test's contexts are its own as in a browser of its own (closing a connected
 * browser closes the contexts it created). `bfcache` (Playwright's default flags without
 * --disable-back-forward-cache), or a test run alone, launches a browser of its own.
 */
export async function launchChromium(t: Teardown, options: { bfcache?: boolean } = {}): Promise<Browser> {
  const shared = process.env[SHARED_BROWSER_ENV];
  const browser = shared !== undefined && shared !== '' && !options.bfcache
    ? await chromium.connect(shared)
    : await chromium.launch({ ...LAUNCH_OPTIONS, ...(options.bfcache ? { ignoreDefaultArgs: ['--disable-back-forward-cache'] } : {}) });
  t.teardown(() => browser.close());
  return browser;
}
