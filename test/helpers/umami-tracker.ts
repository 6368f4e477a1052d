// Umami's tracker script, built the way its own build does, from the package on npm: `npm pack
// umami@UMAMI_VERSION` (the package's own dependency tree is a whole web app, so it is not
// installed), package/src/tracker/index.js read from the tarball, its build-time placeholders
// replaced as its rollup config does (COLLECT_API_HOST empty, COLLECT_API_ENDPOINT /api/send), then
// minified. Cached in the system's temporary directory (npm test runs from a fresh compiled mirror of
// the tree, so a cache inside it would not last); the first run needs the registry.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { transform } from 'esbuild';

const run = promisify(execFile);
export const UMAMI_VERSION = '2.10.0';
const CACHE = join(tmpdir(), 'beacon-ingest-umami-tracker', UMAMI_VERSION);
const SOURCE = 'package/src/tracker/index.js';

/** The source of Umami's tracker as published (npm pack, once). */
export async function umamiTrackerSource(): Promise<string> {
  const file = join(CACHE, SOURCE);
  if (!existsSync(file)) {
    mkdirSync(CACHE, { recursive: true });
    const { stdout } = await run('npm', ['pack', `umami@${UMAMI_VERSION}`, '--pack-destination', CACHE, '--silent'], { cwd: CACHE });
    const tarball = stdout.trim().split('\n').at(-1) as string;
    await run('tar', ['-xzf', join(CACHE, tarball), '-C', CACHE, SOURCE]);
  }
  return readFileSync(file, 'utf8');
}

/** The tracker as Umami serves it (script.js), built from the published source. */
export async function umamiTrackerScript(): Promise<string> {
  const built = join(CACHE, 'script.js');
  if (existsSync(built)) return readFileSync(built, 'utf8');
  const source = (await umamiTrackerSource()).replaceAll('__COLLECT_API_HOST__', '').replaceAll('__COLLECT_API_ENDPOINT__', '/api/send');
  const { code } = await transform(source, { minify: true, target: 'es2019' });
  writeFileSync(built, code);
  return code;
}
