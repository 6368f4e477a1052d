// Builds the service into dist/ (npm run build:server): esbuild bundles src/server.ts and
// src/migrate.ts with their dependencies, split where the code imports lazily (the app, each store,
// Redis) so a process loads only what its configuration uses. A start used to load ~90 of our
// modules and ~270 CommonJS files of its dependencies one by one, and Node's module loader was most
// of its CPU; now it loads a handful of files: 0.68 s of CPU from start to SIGTERM instead of 1.19 s
// here (a service with MariaDB). Types are checked by `npm run typecheck`, not here.
//   node scripts/build-server.mjs [outdir]   (default: dist)
// Left outside the bundle, loaded from node_modules as before: the SQLite driver (a native addon)
// and pino with its transport, whose worker thread loads its files by path.
import { build } from 'esbuild';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = resolve(process.argv[2] ?? join(root, 'dist'));

// What an earlier build left (and the file-per-module output of earlier versions), but dist/client/,
// which scripts/build-client.mjs writes, perhaps at the same moment (npm test runs both at once).
mkdirSync(outdir, { recursive: true });
for (const entry of readdirSync(outdir, { withFileTypes: true }).filter((e) => e.name !== 'client')) {
  rmSync(join(outdir, entry.name), { recursive: true, force: true });
}

await build({
  entryPoints: { server: join(root, 'src/server.ts'), migrate: join(root, 'src/migrate.ts') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['better-sqlite3', 'better-sqlite3-napi', 'pino', 'pino-pretty', 'thread-stream'],
  // The CommonJS dependencies call require(), which an ES module does not have.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  chunkNames: 'chunks/[name]-[hash]',
  // Stack traces name src/*.ts lines with NODE_OPTIONS=--enable-source-maps.
  sourcemap: true,
  logLevel: 'warning',
});
