// promtool (Debian's prometheus package; .ci/run installs it) run on the service's real output.
import { spawnSync } from 'node:child_process';

export interface PromtoolResult {
  status: number | null;
  output: string;
}

/** Runs promtool; null when it is not installed. */
export function promtool(args: string[], input?: string): PromtoolResult | null {
  const r = spawnSync('promtool', args, { input, encoding: 'utf8', timeout: 60_000 });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return null;
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

/** Why a missing promtool fails the test instead of skipping it: CI must not pass without the checks. */
export const PROMTOOL_MISSING = "promtool not found: install Debian's prometheus package (apt-get install -y prometheus; .ci/run does)";
