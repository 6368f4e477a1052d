import { cut } from './beacon.js';
import type { Win } from './environment.js';
import { on } from './guard.js';
import { MAX_ERRORS } from './limits.js';

export interface ErrorPayload {
  message: string;
  source: string;
  line: number;
  column: number;
  stack: string;
}

/** At most `max` errors per page load, each message+source+line once. */
export function errorGate(max = MAX_ERRORS): (key: string) => boolean {
  const seen: string[] = [];
  return (key) => seen.length < max && seen.indexOf(key) < 0 && !!seen.push(key);
}

export function errorPayload(message: unknown, source: unknown, line: unknown, column: unknown, stack: unknown): ErrorPayload {
  return { message: cut(message, 500), source: cut(source, 1000), line: +(line as number) || 0, column: +(column as number) || 0, stack: cut(stack, 1000) };
}

/** Reports the page's uncaught errors and unhandled rejections through errorGate, except those
 * thrown by our own script (`ownSrc`): our bug is not the site's to see; and except those without
 * a message. */
export function trackErrors(w: Win, ownSrc: string | null | undefined, report: (p: ErrorPayload) => void): void {
  const gate = errorGate();
  const error = (message: unknown, source: unknown, line: unknown, column: unknown, stack: unknown): void => {
    const p = errorPayload(message, source, line, column, stack);
    // "Script error." is all a browser tells of another origin's error, and an empty message
    // (Promise.reject(), reject(undefined)) tells nothing: rows nobody can act on.
    if (p.message && p.message != 'Script error.' && !(source && source == ownSrc) && gate(p.message + '\n' + p.source + '\n' + p.line)) report(p);
  };
  on(w, 'error', (e: { message?: string; filename?: string; lineno?: number; colno?: number; error?: { stack?: unknown } }) =>
    error(e.message, e.filename, e.lineno, e.colno, e.error && e.error.stack),
  );
  on(w, 'unhandledrejection', (e: { reason?: { message?: unknown; stack?: unknown } }) => {
    const r = e.reason;
    error((r && r.message) || r, '', 0, 0, r && r.stack);
  });
}
