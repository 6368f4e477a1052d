// What the collector's Chromium tests share: a site on one origin (http://site.test) serving the
// given pages, the service on another (http://collector.test) serving the built script
// (dist/client/collector.js: `npm run build:client` after a change to src/client), Debian's
// Chromium, and the stored rows. Both names resolve to 127.0.0.1 inside the browser only, so neither
// is "localhost" to the script.
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RowDataPacket } from 'mysql2/promise';
import type { Browser } from 'playwright-core';
import { buildTestApp, type TestApp } from './app.js';
import { CHROMIUM, launchChromium } from './chromium.js';
import { until } from './process.js';

export interface Test {
  teardown(fn: () => unknown): void;
  comment(...args: unknown[]): void;
}

export interface Site {
  /** http://site.test:PORT */
  origin: string;
  /** The service: http://collector.test:PORT */
  collector: string;
  app: TestApp;
  /** The collector's tag with these attributes (data-include-automation unless told otherwise). */
  tag(attrs?: string): string;
  /** Every stored row, flushed first, in order. */
  rows(): Promise<RowDataPacket[]>;
  /** Polls the rows until `check` holds; throws, listing them, after `ms`. */
  waitFor(what: string, check: (rows: RowDataPacket[]) => boolean, ms?: number): Promise<RowDataPacket[]>;
  /** Chromium through Playwright, headless (launchChromium): the run's shared browser unless `bfcache`. */
  launch(options?: { bfcache?: boolean }): Promise<Browser>;
}

/** Serves `pages(site)` by path (query ignored), else what `dynamic` answers for the path and query
 * (as text), else 404; and starts the service for them. */
export async function browserSite(t: Test, pages: (site: Site) => Record<string, string>, dynamic?: (pathAndQuery: string) => string | undefined): Promise<Site> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (see .ci/run)`);
  let collector = '';
  let served: Record<string, string> = {};
  const server = createServer((req, res) => {
    const page = served[new URL(req.url ?? '/', 'http://x').pathname];
    const text = page === undefined && dynamic ? dynamic(req.url ?? '/') : undefined;
    // No cache-control: no-store, which would keep pages out of the back/forward cache.
    res.writeHead(page === undefined && text === undefined ? 404 : 200, { 'content-type': `text/${page === undefined ? 'plain' : 'html'}; charset=utf-8` });
    res.end(page ?? text ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  const origin = `http://site.test:${(server.address() as AddressInfo).port}`;
  const app = await buildTestApp(t, { ALLOWED_ORIGINS: origin, REQUIRE_ORIGIN: 'true', FLUSH_INTERVAL_MS: '100' });
  await app.app.listen({ port: 0, host: '127.0.0.1' });
  collector = `http://collector.test:${(app.app.server.address() as AddressInfo).port}`;

  const rows = async () => {
    await app.flush();
    return app.db.query<RowDataPacket>('SELECT * FROM pageviews ORDER BY id');
  };
  const site: Site = {
    origin,
    collector,
    app,
    tag: (attrs = 'data-include-automation') => `<script defer src="${collector}/collector.js" ${attrs}></script>`,
    rows,
    async waitFor(what, check, ms = 15_000) {
      let last: RowDataPacket[] = [];
      if (await until(async () => check((last = await rows())), ms, 100)) return last;
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last.map((r) => [r.type, r.url, r.event_name, r.payload]))}`);
    },
    launch: (options = {}) => launchChromium(t, options),
  };
  served = pages(site);
  return site;
}

/** A page: the tag in the head, then `body`. */
export const html = (tag: string, body = '', head = ''): string =>
  `<!doctype html><html><head><meta charset="utf-8"><title>t</title>${head}${tag}</head><body>${body}</body></html>`;
