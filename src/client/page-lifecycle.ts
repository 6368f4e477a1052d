import type { Win } from './environment.js';
import { on } from './guard.js';

/** Watches the page being seen. `shown(false)` runs once, when the page is first visible: now, or at
 * the first visibilitychange to visible or prerenderingchange, so a prerendered or background page
 * is not counted before anyone sees it, and never if nobody does; `shown(true)` at each restore from
 * the back/forward cache (pageshow, persisted). `hidden(visibleMs)` runs at each hide of a shown page
 * (visibilitychange to hidden, or pagehide: the last chance on mobile). The function returned gives
 * the milliseconds visible since it was last called or the page last hidden. */
export function watchPage(w: Win, now: () => number, shown: (restored: boolean) => void, hidden: (visibleMs: number) => void): () => number {
  const doc = w.document;
  let seen = false;
  let since = -1; // visible since; -1 while hidden or not yet shown
  const take = (stop?: boolean): number => {
    const v = since < 0 ? 0 : now() - since;
    if (since >= 0) since = stop ? -1 : now();
    return v;
  };
  const show = (restored: boolean): void => {
    seen = true;
    since = now();
    shown(restored);
  };
  // Nothing for a page never shown; no time for one already hidden (pagehide after visibilitychange).
  const hide = (): void => {
    if (seen) hidden(take(true));
  };
  const check = (): void => {
    if (doc.visibilityState == 'hidden') hide();
    else if (!doc.prerendering) {
      if (!seen) show(false);
      else if (since < 0) since = now();
    }
  };
  on(doc, 'visibilitychange', check);
  on(doc, 'prerenderingchange', check);
  on(w, 'pagehide', hide);
  on(w, 'pageshow', (e: { persisted?: boolean }) => {
    if (e.persisted && seen) show(true);
  });
  check();
  return take;
}
