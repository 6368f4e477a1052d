// Builds the service into dist/ (npm run build:server): esbuild bundles src/server.ts and
// src/migrate.ts with their dependencies, split where the code imports lazily (the app, each store)
// so a process loads only what its configuration uses. A start used to load ~90 of our modules and
// ~270 CommonJS files of its dependencies one by one, and Node's module loader was most of its CPU;
// now it loads a handful of files: 0.68 s of CPU from start to SIGTERM instead of 1.19 s here (a
// service with MariaDB). Types are checked by `npm run typecheck`, not here.
// Left outside the bundle, loaded from node_modules as before: the SQLite driver (a native addon),
// pino with its transport (its worker thread loads files by path) and ioredis (it reads its own
// package.json through __dirname, which a bundled ES module lacks; loaded only with REDIS_URL).
import { build } from 'esbuild';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = join(root, 'dist');

const { outputFiles } = await build({
  entryPoints: { server: join(root, 'src/server.ts'), migrate: join(root, 'src/migrate.ts') },
  outdir,
  write: false,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['better-sqlite3', 'better-sqlite3-napi', 'pino', 'pino-pretty', 'thread-stream', 'ioredis'],
  // The CommonJS dependencies call require(), which an ES module does not have.
  banner: { js: "import { createRequire as __beaconIngestCreateRequire } from 'node:module'; const require = __beaconIngestCreateRequire(import.meta.url);" },
  chunkNames: 'chunks/[name]-[hash]',
  // Stack traces name src/*.ts lines with NODE_OPTIONS=--enable-source-maps.
  sourcemap: true,
  logLevel: 'warning',
});

// Only what this build writes is replaced, and what tsc's file-per-module output of earlier versions
// left (a .js and .js.map per src/ file and a folder per src/ folder: named from src/ here): dist/client/
// is scripts/build-client.mjs's, written perhaps at the same moment (npm test runs both at once).
// Built in memory first, so a process that starts while this runs finds either the old files or the new.
const ours = new Set(['chunks']);
for (const entry of readdirSync(join(root, 'src'), { withFileTypes: true })) {
  if (entry.name === 'client') continue;
  const name = entry.isDirectory() ? entry.name : entry.name.replace(/\.ts$/, '.js');
  ours.add(name).add(`${name}.map`);
}
mkdirSync(outdir, { recursive: true });
for (const name of readdirSync(outdir).filter((n) => ours.has(n))) rmSync(join(outdir, name), { recursive: true, force: true });
for (const file of outputFiles) {
  mkdirSync(dirname(file.path), { recursive: true });
  writeFileSync(file.path, file.contents);
}
console.log(`dist/: server.js, migrate.js and ${outputFiles.filter((f) => f.path.includes('/chunks/') && f.path.endsWith('.js')).length} chunks`);
