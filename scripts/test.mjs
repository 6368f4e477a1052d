// npm test: build once, then the suite on MariaDB and the store-dependent part again on SQLite.
// Both parts always run (an `&&` chain skipped SQLite whenever MariaDB failed); the summary gives
// each part's counts, and the exit code is non-zero when the typecheck or either part failed.
//   node scripts/test.mjs [--part=mariadb|sqlite] [extra tap arguments]
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

// What TEST_STORE=sqlite re-runs: everything that goes through the store (routes, the writer over a
// real store, the service as a process); the rest never opens a database of its own.
const SQLITE_FILES = [
  'test/routes',
  'test/buffer/writer-store.test.ts',
  'test/e2e/listening-app.test.ts',
  'test/e2e/server-process.test.ts',
  'test/e2e/hostile.test.ts',
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
      if (echo) process.stdout.write(d);
      out += d;
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), out }));
  });
}

/** Per-file results and the assertion counts from tap's TAP output. */
function summarise(name, { code, out }) {
  const files = [...out.matchAll(/^(not )?ok \d+ - (\S+)/gm)];
  const failed = files.filter((m) => m[1]).map((m) => m[2]);
  // tap's last line: "# { total: 737, pass: 736, skip: 1 }" (fail, skip and todo only when not 0).
  const totals = [...out.matchAll(/^# \{ (total: \d+.*) \}$/gm)].at(-1)?.[1];
  const count = Object.fromEntries([...(totals ?? '').matchAll(/(\w+): (\d+)/g)].map((m) => [m[1], Number(m[2])]));
  const asserts = totals === undefined
    ? 'no assertion counts (did tap start?)'
    : `assertions: ${count.pass ?? 0} passed, ${count.fail ?? 0} failed${count.skip ? `, ${count.skip} skipped` : ''}${count.todo ? `, ${count.todo} todo` : ''}`;
  const line = `${name}: ${files.length - failed.length}/${files.length} files passed; ${asserts}`;
  return { ok: code === 0, text: [line, ...failed.map((f) => `  failed: ${f}`)].join('\n') };
}

// tsx (esbuild, cached) compiles the test files instead of ts-node, which loads TypeScript's compiler
// in every test process: scripts/tap-tsx.mjs, loaded through NODE_OPTIONS, switches them.
const tapEnv = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${new URL('./tap-tsx.mjs', import.meta.url).href}`.trim() };
const tap = (args, env, echo = true) => run(process.execPath, [fileURLToPath(new URL('../node_modules/tap/dist/esm/run.mjs', import.meta.url)), '--reporter=tap', ...args], { env, keep: true, echo });

const started = Date.now();
// The e2e tests start dist/*.js: nothing runs on a stale build. The typecheck (single-threaded tsc,
// CPU-bound) runs alongside the tests, which mostly wait on sockets and processes.
const build = await run(npm, ['run', 'build']);
if (build.code !== 0) {
  console.error('\nnpm test: the build failed; no test ran');
  process.exit(1);
}
// Its output is held back and printed after the tests, where it does not cut into tap's.
const typechecked = run(npm, ['run', '--silent', 'typecheck'], { echo: false });
const part = process.argv.find((a) => a.startsWith('--part='))?.slice('--part='.length);
const extra = process.argv.slice(2).filter((a) => !a.startsWith('--part='));
// Both parts at once: the MariaDB part spends much of its time waiting on processes, sockets and
// timers, so the SQLite part, one file at a time, fits in beside it (its output follows the other's).
const both = part === undefined;
const sqliteArgs = [...(both ? ['--jobs=1'] : []), ...extra, ...SQLITE_FILES];
const sqlite = part === 'mariadb' ? null : tap(sqliteArgs, { ...tapEnv, TEST_STORE: 'sqlite' }, !both);
const parts = [];
if (part !== 'sqlite') parts.push(summarise('MariaDB', await tap(extra, tapEnv)));
if (sqlite !== null) {
  const done = await sqlite;
  if (both) console.log(`\n== SQLite part (TEST_STORE=sqlite)\n${done.out}`);
  parts.push(summarise('SQLite (TEST_STORE=sqlite)', done));
}

const typecheck = await typechecked;
if (typecheck.code !== 0) console.log(`\n== typecheck (npm run typecheck)\n${typecheck.out}`);

const seconds = Math.round((Date.now() - started) / 1000);
console.log(`\n== npm test, ${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`);
console.log(`typecheck: ${typecheck.code === 0 ? 'passed' : 'FAILED'}`);
for (const p of parts) console.log(p.text);
process.exit(typecheck.code === 0 && parts.every((p) => p.ok) ? 0 : 1);
