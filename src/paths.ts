// Files the service reads at run time, found from the project's root (the nearest folder above this
// module with a package.json): the same from src/ (tsx), from the test mirror .test-js/src/, and from
// the bundle in dist/, where every module shares the URL of the file it was bundled into.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function projectRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}: run the service from its project folder`);
  }
}

export const ROOT = projectRoot(dirname(fileURLToPath(import.meta.url)));
/** migrations/mysql/ or migrations/sqlite/ */
export const migrationsDir = (store: 'mysql' | 'sqlite'): string => join(ROOT, 'migrations', store);
/** Where `npm run build` puts the minified collector script and its opt-in events (scripts/build-client.mjs). */
export const SCRIPT_FILE = join(ROOT, 'dist', 'client', 'collector.js');
export const EVENTS_FILE = join(ROOT, 'dist', 'client', 'collector-events.js');
