// Builds the browser collector into two minified IIFEs:
//   node scripts/build-client.mjs [outfile]   (default: dist/client/collector.js)
// the script (src/client/collector.ts) into outfile, and the opt-in events it loads only when its
// tag asks for them (src/client/events.ts) next to it, as collector-events.js; prints the raw and
// gzipped size of each. The script must keep the literal "__BEACON_COLLECT_PATH__": the server
// replaces it with the configured COLLECT_PATH when serving.
// esbuild bundles and minifies; terser then runs over the result, because it compresses further
// (functions called once inlined, several passes): docs/collector-script.md, "Size".
import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { minify } from 'terser';

const root = fileURLToPath(new URL('..', import.meta.url));
const outfile = resolve(process.argv[2] ?? resolve(root, 'dist/client/collector.js'));
const eventsFile = join(dirname(outfile), 'collector-events.js');

/** One entry bundled, minified and written; returns its text. */
async function bundle(entry, out) {
  const bundled = await build({
    entryPoints: [resolve(root, 'src/client', entry)],
    // In place of src/client/tsconfig.json (what esbuild reads of it), without its strict mode:
    // that is for typechecking, and as alwaysStrict it would prepend a "use strict" we do not need.
    tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true } },
    write: false,
    bundle: true,
    minify: true,
    format: 'iife',
    // ES2019: the first with `catch {}` (Chrome 66, Firefox 58, Safari 11.1).
    target: 'es2019',
    platform: 'browser',
    legalComments: 'none',
    logLevel: 'warning',
    // Our own property names, shortened: the options collector.ts hands start() and the methods of
    // our internal objects. Every `.name` in the bundle is renamed, on any object: a name here must
    // never be read from or set on a browser object by src/client. Some are DOM names elsewhere
    // (defer: a script tag's; read, enqueue: streams'), so never use them on one; not src, now, add,
    // value or push, which the script does use on browser objects.
    mangleProps: /^(collectPath|scriptSrc|attr|clock|defer|read|restart|flush|enqueue|addShift|score)$/,
  });
  const ecma = 2019;
  const minified = await minify(bundled.outputFiles[0].text, {
    ecma,
    // Not `unsafe`: it turns String(v) into v+"", which throws for a Symbol (beacon(Symbol()), a
    // rejection with a Symbol reason) and calls valueOf before toString; it saved 2 bytes. Nor
    // `pure_getters: true` (it may drop a read kept for the TypeError it throws): the same output.
    compress: { ecma, passes: 5, inline: 1, hoist_vars: true, unsafe_arrows: true, toplevel: true },
    mangle: { toplevel: true },
    format: { wrap_func_args: false },
  });
  const code = Buffer.from(minified.code);
  // A fresh checkout has no dist/client.
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, code);
  console.log(`${out}: ${code.length} bytes, ${gzipSync(code).length} gzipped`);
  return minified.code;
}

const script = await bundle('collector.ts', outfile);
if (script.split('"__BEACON_COLLECT_PATH__"').length !== 2) {
  console.error(`${outfile}: the "__BEACON_COLLECT_PATH__" literal must occur exactly once`);
  process.exit(1);
}
await bundle('events.ts', eventsFile);
