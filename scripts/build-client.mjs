// Builds the browser collector (src/client/collector.ts) into one minified IIFE:
//   node scripts/build-client.mjs [outfile]   (default: dist/client/collector.js)
// and prints its raw and gzipped size. The file must keep the literal "__BEACON_COLLECT_PATH__":
// the server replaces it with the configured COLLECT_PATH when serving.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = fileURLToPath(new URL('..', import.meta.url));
const outfile = resolve(process.argv[2] ?? resolve(root, 'dist/client/collector.js'));

await build({
  entryPoints: [resolve(root, 'src/client/collector.ts')],
  tsconfig: resolve(root, 'src/client/tsconfig.json'),
  outfile,
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2017',
  platform: 'browser',
  legalComments: 'none',
  logLevel: 'warning',
  // Our own property names, unknown to any browser API, shortened (about 50 bytes gzipped): the
  // options collector.ts hands start() and the methods of our internal objects. A name here must
  // never be read from or set on a DOM object (not src, now, add, value, push: those are).
  mangleProps: /^(read|restart|flush|respectDnt|includeLocalhost|includeAutomation|outbound|downloads|forms|endpoint|defer)$/,
});

const code = readFileSync(outfile);
if (code.toString('utf8').split('"__BEACON_COLLECT_PATH__"').length !== 2) {
  console.error(`${outfile}: the "__BEACON_COLLECT_PATH__" literal must occur exactly once`);
  process.exit(1);
}
console.log(`${outfile}: ${code.length} bytes, ${gzipSync(code).length} gzipped`);
