/**
 * How long to wait before trying again after `attempt` failures in a row (0 counts as 1):
 * exponential from `baseMs`, capped at `maxMs`, then scaled by a random half to whole, so
 * instances that failed together do not all retry in step.
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp * (0.5 + Math.random() / 2));
}
