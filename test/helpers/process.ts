// Real processes for tests: the service started as users start it, and polling for what it does.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

interface Teardown {
  teardown(fn: () => unknown): void;
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
  /** Resolves true once /ready answers 200 on `base`. */
  ready(base: string, timeoutMs?: number): Promise<boolean>;
  /** Sends a signal and resolves with the exit code (null when a signal ended it). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `src/server.ts` (or another script) in a child process with exactly `env`; killed at teardown. */
export function startService(t: Teardown, env: NodeJS.ProcessEnv, script = 'src/server.ts'): RunningService {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  t.teardown(() => child.kill('SIGKILL'));
  return {
    child,
    output: () => output,
    ready: (base, timeoutMs = 20_000) => until(async () => (await fetch(`${base}/ready`).catch(() => null))?.status === 200, timeoutMs, 50),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill(signal);
      return ((await exited) as [number | null])[0];
    },
  };
}

/** Runs a script to its end: its exit code and what it printed. */
export async function runScript(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, out };
}

/** A TCP port free right now on 127.0.0.1 (for services started as processes, which need a fixed PORT). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
