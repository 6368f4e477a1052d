// npm test: build once, then the suite on MariaDB and the store-dependent part again on SQLite.
// Both parts always run (an `&&` chain skipped SQLite whenever MariaDB failed); the summary gives
// each part's counts, and the exit code is non-zero when the typecheck or either part failed.
//   node scripts/test.mjs [--part=mariadb|sqlite] [extra tap arguments]
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { transformSync } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

// What TEST_STORE=sqlite re-runs: the tests whose outcome the store decides (what a row holds and
// which rows it refuses, sessions, retention, the writer over a real store, the service as a process
// with SQLite as `npm start` runs it). Left out (each still runs against MariaDB): the collector
// script's route, CDN country and rate-limit decisions, curl's form bodies, the ops routes and the
// hostile fuzz. They read stored rows back too, but only plain ASCII text, small integers and counts
// of values the pipeline decided, none near a column limit or a constraint: what they assert is the
// pipeline's, and the SQLite files above store and read back the same kinds of values.
const SQLITE_FILES = [
  'test/routes/collect.test.ts',
  'test/routes/collect-requests.test.ts',
  'test/routes/client-ip.test.ts',
  'test/routes/enrichment.test.ts',
  'test/routes/operations.test.ts',
  'test/routes/sessions.test.ts',
  'test/routes/stored-values.test.ts',
  'test/routes/trackers.test.ts',
  'test/buffer/writer-store.test.ts',
  'test/e2e/listening-app.test.ts',
  'test/e2e/server-process.test.ts',
  'test/e2e/durability.test.ts',
];

/**
 * Runs a command; resolves with the exit code and, when `keep`, its output. `echo: false` holds the
 * output back (printed by the caller) instead of passing it through as it comes.
 */
function run(command, args, { env = process.env, keep = false, echo = true } = {}) {
  return new Promise((resolve) => {
    const piped = keep || !echo;
    const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', piped ? 'pipe' : 'inherit', echo ? 'inherit' : 'pipe'] });
    let out = '';
    const take = (d) => {
      if (echo) process.stdout.write(unmirror(String(d)));
      out += d;
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), out }));
  });
}

/** Per-file results and the assertion counts from tap's TAP output. */
function summarise(name, { code, out: raw }) {
  const out = unmirror(raw);
  const files = [...raw.matchAll(/^(not )?ok \d+ - (\S+)/gm)];
  // A failed group names its files (the failed assertions above name the test and its line).
  const failed = files.filter((m) => m[1]).map((m) => (groupsOf.has(m[2]) ? `${m[2]}: ${groupsOf.get(m[2]).join(' ')}` : unmirror(m[2])));
  const inGroups = files.filter((m) => groupsOf.has(m[2]));
  const testFiles = files.length - inGroups.length + inGroups.reduce((n, m) => n + groupsOf.get(m[2]).length, 0);
  // tap's last line: "# { total: 737, pass: 736, skip: 1 }" (fail, skip and todo only when not 0).
  const totals = [...out.matchAll(/^# \{ (total: \d+.*) \}$/gm)].at(-1)?.[1];
  const count = Object.fromEntries([...(totals ?? '').matchAll(/(\w+): (\d+)/g)].map((m) => [m[1], Number(m[2])]));
  const asserts = totals === undefined
    ? 'no assertion counts (did tap start?)'
    : `assertions: ${count.pass ?? 0} passed, ${count.fail ?? 0} failed${count.skip ? `, ${count.skip} skipped` : ''}${count.todo ? `, ${count.todo} todo` : ''}`;
  const grouping = inGroups.length === 0 ? '' : ` (${testFiles} test files; ${inGroups.length} of the processes run groups of files)`;
  const line = `${name}: ${files.length - failed.length}/${files.length} test processes passed${grouping}; ${asserts}`;
  return { ok: code === 0, text: [line, ...failed.map((f) => `  failed: ${f}`)].join('\n') };
}

// The test processes run plain JavaScript, with no loader hooks: tsx hooked the resolution and
// loading of every module (tap's, fastify's), ~0.35 s of CPU per test file. Before each run,
// esbuild compiles src/, test/ and bench/ (about a second) into .test-js/ (gitignored), at the same
// depth from the root, so `../../src/x.js` and the reads relative to import.meta.url find the same
// things: beside each x.js its x.ts (copied with its mtime: test/docs.test.ts and the stale-build check
// list src/**/*.ts), the other files copied, and the rest of the root (README.md, docs/, deploy/,
// migrations/, dist/, ...) as symlinks. Inline source maps point at the .ts beside each .js (the
// same lines as the real one; tap's t.mockImport resolves paths from the mapped caller), so failures
// show .ts lines (tap passes --enable-source-maps), and the output names test/x.test.ts, not the
// mirror (unmirror). `npx tap test/x.test.ts` is untouched: tap's ts-node, no mirror.
const MIRROR = '.test-js';
const CHROMIUM_HELPER = join(root, MIRROR, 'test/helpers/chromium.js');
function buildMirror() {
  const out = join(root, MIRROR);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out);
  const compiled = new Set(['src', 'test', 'bench']);
  for (const entry of readdirSync(root)) {
    if (compiled.has(entry) || entry === MIRROR || entry === '.git' || entry === 'node_modules') continue;
    symlinkSync(join('..', entry), join(out, entry));
  }
  for (const top of compiled) {
    for (const entry of readdirSync(join(root, top), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const file = join(entry.parentPath, entry.name);
      const target = join(out, relative(root, file));
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(file, target);
      const { atime, mtime } = statSync(file);
      utimesSync(target, atime, mtime);
      if (!entry.name.endsWith('.ts') || entry.name.endsWith('.d.ts')) continue;
      const js = target.replace(/\.ts$/, '.js');
      const { code } = transformSync(readFileSync(file, 'utf8'), {
        loader: 'ts',
        format: 'esm',
        target: 'node20',
        sourcemap: 'inline',
        sourcefile: entry.name,
        tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true, useDefineForClassFields: true } },
      });
      writeFileSync(js, code);
    }
  }
}
/** `test/x.test.ts` or `test/dir/` -> the compiled test files in the mirror. */
function mirrored(paths) {
  return paths.flatMap((p) => {
    if (p.endsWith('.ts')) return [join(MIRROR, p.replace(/\.ts$/, '.js'))];
    return readdirSync(join(root, MIRROR, p), { recursive: true })
      .filter((f) => f.endsWith('.test.js'))
      .sort()
      .map((f) => join(MIRROR, p, f));
  });
}
// A full run groups the test files: each group is one test process that imports its files one
// after another, so tap's own start (~0.5 s of CPU a process, plus the kernel's page faults for its
// memory: ~0.7-1 s a process in all) is paid once per group instead of once per file. The 25 files
// of test/pipeline/ took 26 s of CPU one process each and 8.4 s in one process, the same 721
// assertions. A group holds at most GROUP_FILES files of one directory (split evenly), which keeps
// each well inside tap's per-process timeout (.taprc; the longest group, routes, ~35 s). Alone, in
// their own process as before (ALONE): the files
// that start the service as a process or a browser (the long ones, mostly waiting, which the three
// jobs spread; in a group their waits would add up), and any file using t.mockImport (it needs
// tap's mock loader, which scripts/tap-tsx.mjs skips for the others). Named files
// (`npm test -- test/x.test.ts`) and `npx tap` run each file alone.
const ALONE = /\b(startService|browserSite|launchChromium|mockImport)\b|helpers\/(cluster|scale-out)\.js/;
const GROUP_FILES = 10;
const groupsOf = new Map();
function grouped(files, part) {
  const alone = [];
  const byDir = new Map();
  for (const file of files) {
    const rel = relative(join(MIRROR, 'test'), file);
    const dir = dirname(rel);
    if (ALONE.test(readFileSync(join(root, file), 'utf8'))) alone.push(file);
    else byDir.set(dir, [...(byDir.get(dir) ?? []), file]);
  }
  mkdirSync(join(root, MIRROR, 'groups'), { recursive: true });
  const groups = [...byDir].flatMap(([dir, list]) => {
    if (list.length === 1) return list; // a group of one gains nothing
    const count = Math.ceil(list.length / GROUP_FILES);
    return Array.from({ length: count }, (_, i) => {
      const members = list.filter((_, j) => j % count === i);
      const file = join(MIRROR, 'groups', `${part}-${dir === '.' ? 'test' : dir.replaceAll('/', '-')}-${i + 1}.test.js`);
      if (groupsOf.has(file)) throw new Error(`npm test: two groups named ${file}`);
      // Static imports, one after another. (An `await import()` per file, to let the rest run after a
      // file that fails to load, reported ~200 fewer assertions in a CI run, cause not yet found. So a
      // file that fails to load fails its whole group, whose summary line names its files.)
      const lines = members.map((m) => `import '../${relative(MIRROR, m)}';`);
      writeFileSync(join(root, file), `// Written by scripts/test.mjs: these test files, one after another in one process.\n${lines.join('\n')}\n`);
      groupsOf.set(file, members.map((m) => unmirror(m)));
      return file;
    });
  });
  return [...alone, ...groups];
}

/** Tap's names for the mirrored files, back to the test files': `.test-js/test/x.test.js` -> `test/x.test.ts`. */
const unmirror = (text) => text.replaceAll(/(?<![\w-])\.test-js\/((?:test|src|bench)\/[\w./-]*?)\.(?:js|ts)\b/g, '$1.ts');

// scripts/tap-tsx.mjs, loaded through NODE_OPTIONS, stops tap's ts-node loader (TypeScript's
// compiler in every test process) in the test processes, which run the mirror's JavaScript.
const tapEnv = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${new URL('./tap-tsx.mjs', import.meta.url).href}`.trim() };
const tap = (args, env, echo = true) => run(process.execPath, [fileURLToPath(new URL('../node_modules/tap/dist/esm/run.mjs', import.meta.url)), '--reporter=tap', ...args], { env, keep: true, echo });

const started = Date.now();
// The e2e tests start dist/server.js: nothing runs on a stale build. The build here is `npm run
// build`'s two parts at once (esbuild's bundle of the service, the collector script); the tests wait
// for it (~1 s). The typecheck (TypeScript 7's tsc, CPU-bound) starts with the build and goes on
// beside the tests; its output is held back and printed after the tests, where it does not cut into
// tap's, and a type error fails npm test as a failed build would.
const typechecked = run(npm, ['run', '--silent', 'typecheck'], { echo: false });
const building = Promise.all([run(npm, ['run', '--silent', 'build:server']), run(npm, ['run', '--silent', 'build:client'])])
  .then((results) => results.find((r) => r.code !== 0) ?? results[0]);
// The mirror links the root's entries as they are now: in a fresh clone dist/ exists only once the
// build has written it, so it is made here for the link to point at.
mkdirSync(join(root, 'dist'), { recursive: true });
const mirrorStarted = Date.now();
buildMirror();
console.log(`npm test: compiled src/, test/, bench/ into ${MIRROR}/ in ${((Date.now() - mirrorStarted) / 1000).toFixed(1)} s`);
const build = await building;
if (build.code !== 0) {
  console.error('\nnpm test: the build failed; no test ran');
  process.exit(1);
}
const part = process.argv.find((a) => a.startsWith('--part='))?.slice('--part='.length);
const extra = process.argv.slice(2).filter((a) => !a.startsWith('--part='));
// Both parts at once: the MariaDB part spends much of its time waiting on processes, sockets and
// timers, so the SQLite part, one file at a time, fits in beside it (its output follows the other's).
const both = part === undefined;
// With no test file among the extra arguments (any not starting with -), every test/**/*.test.ts
// (the include of .taprc), compiled; named files run as given (a .ts one through tsx).
const named = extra.some((a) => !a.startsWith('-'));
const allFiles = named || part === 'sqlite' ? [] : grouped(mirrored(['test/']), 'mariadb');
const sqliteArgs = [...(both ? ['--jobs=1'] : []), ...extra, ...(named ? mirrored(SQLITE_FILES) : grouped(mirrored(SQLITE_FILES), 'sqlite'))];
// The browser tests share one headless Chromium, launched here with the options their helper
// launches with (test/helpers/chromium.ts): each test connects and opens contexts of its own, instead
// of launching a browser per test (~2.5 s of CPU each, seven of them). Not for the tests that need
// other flags (bfcache) or a browser process of their own (prerender, background tabs).
const browser = await (async () => {
  const browserTests = [...allFiles, ...extra].some((f) => /(^|\/)browser[\w-]*\.test\.[jt]s$/.test(f));
  if (part === 'sqlite' || !browserTests || !existsSync(CHROMIUM_HELPER)) return null;
  const { LAUNCH_OPTIONS, SHARED_BROWSER_ENV } = await import(pathToFileURL(CHROMIUM_HELPER).href);
  if (!existsSync(LAUNCH_OPTIONS.executablePath)) return null; // the tests say it is missing
  const { chromium } = await import('playwright-core');
  try {
    const server = await chromium.launchServer(LAUNCH_OPTIONS);
    tapEnv[SHARED_BROWSER_ENV] = server.wsEndpoint();
    return server;
  } catch (error) {
    // Each browser test then launches its own, and fails with its own error if that fails too.
    console.error(`npm test: the shared Chromium did not start (${error.message.split('\n')[0]}); the browser tests launch their own`);
    return null;
  }
})();
const sqlite = part === 'mariadb' ? null : tap(sqliteArgs, { ...tapEnv, TEST_STORE: 'sqlite' }, !both);
const parts = [];
if (part !== 'sqlite') parts.push(summarise('MariaDB', await tap([...extra, ...allFiles], tapEnv)));
if (sqlite !== null) {
  const done = await sqlite;
  if (both) console.log(`\n== SQLite part (TEST_STORE=sqlite)\n${unmirror(done.out)}`);
  parts.push(summarise('SQLite (TEST_STORE=sqlite)', done));
}

await browser?.close();
const typecheck = await typechecked;
if (typecheck.code !== 0) console.log(`\n== typecheck (npm run typecheck)\n${typecheck.out}`);

const seconds = Math.round((Date.now() - started) / 1000);
console.log(`\n== npm test, ${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`);
console.log(`typecheck: ${typecheck.code === 0 ? 'passed' : 'FAILED'}`);
for (const p of parts) console.log(p.text);
process.exit(typecheck.code === 0 && parts.every((p) => p.ok) ? 0 : 1);
