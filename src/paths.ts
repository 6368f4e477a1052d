// Files the service reads at run time, found from the project's root: the nearest folder above this
// module that holds both package.json and migrations/. The same from src/ (tsx), from the test mirror
// .test-js/src/ (its package.json and migrations/ are links), and from the bundle in dist/, where
// every module shares the URL of the file it was bundled into. The search stops at node_modules/: a
// copy of dist/ under node_modules/ (the bench's BASELINE) must bring its own package.json and
// migrations/, or it would read the checkout's.
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function projectRoot(from: string): string {
  for (let dir = from; basename(dir) !== 'node_modules' && dirname(dir) !== dir; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'migrations'))) return dir;
  }
  throw new Error(`no folder with package.json and migrations/ above ${from}: dist/ must sit in the project's folder beside them`);
}

export const ROOT = projectRoot(dirname(fileURLToPath(import.meta.url)));
/** migrations/mysql/ or migrations/sqlite/ */
export const migrationsDir = (store: 'mysql' | 'sqlite'): string => join(ROOT, 'migrations', store);
/** Where `npm run build` puts the minified collector script and its opt-in events (scripts/build-client.mjs). */
export const SCRIPT_FILE = join(ROOT, 'dist', 'client', 'collector.js');
export const EVENTS_FILE = join(ROOT, 'dist', 'client', 'collector-events.js');
