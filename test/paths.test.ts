// src/paths.ts: the files the service reads at run time, found from the project's root (here the
// test mirror's or the checkout's). The bundle in dist/ is covered by the tests that start it:
// migrations by every start, the collector script by test/e2e/server-start.test.ts.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { migrationsDir, ROOT } from '../src/paths.js';

t.test('the root is the folder above test/ and src/; both migration folders are under it', async (t) => {
  t.equal(ROOT, fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, ''));
  for (const store of ['mysql', 'sqlite'] as const) {
    t.ok(readdirSync(migrationsDir(store)).includes('001.do.pageviews-and-salts.sql'), `migrations/${store}`);
  }
});
