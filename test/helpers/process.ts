// Real processes for tests: the service started as users start it (`node dist/server.js`, the built
// JavaScript), and polling for what it does.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, relative, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** The first file under src/ whose built output in dist/ is missing or older than it, or null. */
function staleOutput(): { src: string; out: string } | null {
  const src = join(root, 'src');
  for (const entry of readdirSync(src, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.endsWith('.d.ts')) continue;
    const file = join(entry.parentPath, entry.name);
    const rel = relative(src, file);
    // Both are bundles: the browser script (scripts/build-client.mjs) and the service (scripts/build-server.mjs).
    const out = join(root, 'dist', rel.startsWith(`client${sep}`) ? join('client', 'collector.js') : 'server.js');
    const built = statSync(out, { throwIfNoEntry: false });
    if (built === undefined || built.mtimeMs < statSync(file).mtimeMs) return { src: relative(root, file), out: relative(root, out) };
  }
  return null;
}

let checked = false;

/**
 * `src/x.ts` -> `dist/x.js` (absolute), for the entry points `src/server.ts` and `src/migrate.ts`
 * (scripts/build-server.mjs bundles them). A test of a stale build passes or fails for the wrong reason,
 * so this throws, naming the file, when an output in dist/ is missing or older than its source:
 * `npm test` builds first; a file run alone with `npx tap` needs `npm run build` after a change to
 * src/ (a test does not build: several test files run at once and would write dist/ together).
 */
export function built(script: string): string {
  if (!checked) {
    const stale = staleOutput();
    if (stale !== null) {
      throw new Error(`${stale.out} is missing or older than ${stale.src}: run \`npm run build\` first (npm test does); the tests start the built dist/*.js`);
    }
    checked = true;
  }
  return join(root, script.replace(/^src\//, 'dist/').replace(/\.ts$/, '.js'));
}

/** Polls `check` until it answers true or `timeoutMs` passes; says which. */
export async function until(check: () => Promise<boolean>, timeoutMs: number, everyMs = 25): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(everyMs);
  }
  return false;
}

export interface RunningService {
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /**
   * Resolves true once /ready answers 200 on `base`; false when the process exits first or the
   * time runs out (60 s by default: a start on a machine loaded by the whole suite can take tens of
   * seconds), and then prints the end of its output, so a failed start says why.
   */
  ready(base: string, timeoutMs?: number): Promise<boolean>;
  /** Sends a signal and resolves with the exit code (null when a signal ended it). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `dist/server.js` (or another built script, see `built()`) in a child process with exactly `env`; killed at teardown. */
export function startService(t: Teardown, env: NodeJS.ProcessEnv, script = 'dist/server.js'): RunningService {
  const child = spawn(process.execPath, [built(script)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  t.teardown(() => child.kill('SIGKILL'));
  return {
    child,
    output: () => output,
    async ready(base, timeoutMs = 60_000) {
      const exited = () => child.exitCode !== null || child.signalCode !== null;
      await until(async () => exited() || (await fetch(`${base}/ready`).catch(() => null))?.status === 200, timeoutMs, 50);
      const up = !exited() && (await fetch(`${base}/ready`).catch(() => null))?.status === 200;
      if (!up) console.error(`# not ready on ${base} (exit ${child.exitCode ?? child.signalCode ?? 'none yet'}); its output ends:\n${output.slice(-2000)}`);
      return up;
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill(signal);
      return ((await exited) as [number | null])[0];
    },
  };
}

/** Runs a built script (`src/migrate.ts` runs `dist/migrate.js`) to its end: its exit code and what it printed. */
export async function runScript(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [built(script)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, out };
}

/** A TCP port free right now on 127.0.0.1 (for services started as processes, which need a fixed PORT). */
export async function freePort(): Promise<number> {
  // Below the kernel's default ephemeral range (32768-60999 on Linux): a port from listen(0) could be
  // handed straight back to a concurrent test's listen(0) or to an outgoing connection (to MariaDB,
  // say) before the service binds it, and a test would then talk to someone else's server (seen in a
  // full run: EADDRINUSE in the service, while /ready answered from another test's). Random, never the
  // same twice in one process, and retried while taken.
  for (let attempt = 1; ; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (handedOut.has(port)) continue;
    const server = createServer();
    const error = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
      server.once('error', resolve);
      server.listen(port, '127.0.0.1', () => resolve(null));
    });
    if (error === null) {
      await new Promise((resolve) => server.close(resolve));
      handedOut.add(port);
      return port;
    }
    if (error.code !== 'EADDRINUSE' || attempt >= 100) throw error;
  }
}
const handedOut = new Set<number>();
