import type { Win } from './environment.js';
import { on } from './guard.js';

/** Calls `hidden` whenever the page is hidden (visibilitychange to hidden, or pagehide: the last
 * chance on mobile) with the milliseconds it was visible since the previous call. */
export function onHidden(w: Win, now: () => number, hidden: (visibleMs: number) => void): void {
  const doc = w.document;
  let visibleSince = doc.visibilityState == 'hidden' ? -1 : now();
  const left = (): void => {
    const visible = visibleSince >= 0 ? now() - visibleSince : 0;
    visibleSince = -1;
    hidden(visible);
  };
  on(doc, 'visibilitychange', () => {
    if (doc.visibilityState == 'hidden') left();
    else if (visibleSince < 0) visibleSince = now();
  });
  on(w, 'pagehide', left);
}
