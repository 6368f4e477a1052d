// src/paths.ts: the files the service reads at run time, found from the project's root (here the
// test mirror's or the checkout's; the bundle in dist/ is covered by every test that starts it).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { EVENTS_FILE, migrationsDir, ROOT, SCRIPT_FILE } from '../src/paths.js';

t.test('the root is the folder with package.json; migrations and the built script are under it', async (t) => {
  t.ok(existsSync(join(ROOT, 'package.json')), ROOT);
  for (const store of ['mysql', 'sqlite'] as const) {
    t.same(readdirSync(migrationsDir(store)).filter((f) => f.endsWith('.sql')).sort(), ['001.do.pageviews-and-salts.sql', '002.do.sessions.sql', '003.do.user-agent-and-bots.sql'], store);
  }
  t.equal(SCRIPT_FILE, join(ROOT, 'dist', 'client', 'collector.js'));
  t.equal(EVENTS_FILE, join(ROOT, 'dist', 'client', 'collector-events.js'));
});
