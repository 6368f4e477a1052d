import type { Listenable } from './environment.js';

/** Calls fn and swallows what it throws: nothing of ours may ever surface in the host page. */
export function guard(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    // silent by design
  }
}

/** addEventListener with the handler guarded: every listener of ours goes through here. */
export const on = <E>(target: Listenable, type: string, fn: (e: E) => void): void => target.addEventListener(type, (e: E) => guard(() => fn(e)));
