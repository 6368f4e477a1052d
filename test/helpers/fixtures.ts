// What tests share that needs none of the app's modules: the files that start the service as a
// process import these from here, not from ./app.js, which loads the whole app (Fastify and every
// plugin: ~0.7 s of CPU per test process that never builds an app in-process).

/** Real browser user agents: bot filtering drops node, curl and headless agents. */
export const CHROME_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
export const FIREFOX_UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
export const SAFARI_IOS_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';

export const TEST_SECRET = 'test-secret-0123456789abcdef';

/** The counter value of a metric line in /metrics text, e.g. value(text, 'beacon_rejected_total{reason="origin"}'). */
export function metricValue(text: string, series: string): number {
  for (const line of text.split('\n')) {
    if (line.startsWith(series + ' ')) return Number(line.slice(series.length + 1));
  }
  return NaN;
}
