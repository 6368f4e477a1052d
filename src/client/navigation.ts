import type { Hist, Loc, Win } from './environment.js';
import { guard, on } from './guard.js';

/** The address a URL stands for as a page. A fragment is part of it only when it looks like a hash
 * route (#/… or #!…); a jump to an anchor (#section) stays on the page it was made from, even when
 * that page is a hash route, and otherwise loses its fragment. */
export function pageAddress(href: string, previous: string): string {
  const i = href.indexOf('#');
  if (i < 0 || /^#[/!]/.test(href.slice(i))) return href;
  const page = href.slice(0, i);
  return page == previous.split('#')[0] ? previous : page;
}

/** The SPA rule: pushState and popstate count a changed page address (a query change too: the
 * router made a history entry for it, as for ?page=2), replaceState only a changed path (routers
 * use it to rewrite filters, sort orders and scroll state, which are not a new page). */
export function isNewPage(prev: { href: string; pathname: string }, loc: Loc, pathOnly: boolean): boolean {
  return pathOnly ? loc.pathname != prev.pathname : pageAddress(loc.href, prev.href) != prev.href;
}

/** Calls `newPage` with the previous page's address whenever an SPA moves to a new page (isNewPage):
 * history.pushState/replaceState are wrapped and popstate (which fragment changes fire too) is
 * listened to. */
export function watchNavigation(w: Win, newPage: (previousHref: string) => void): void {
  const loc = w.location;
  let last = { href: pageAddress(loc.href, ''), pathname: loc.pathname };
  const route = (pathOnly: boolean): void => {
    if (isNewPage(last, loc, pathOnly)) newPage(last.href);
    last = { href: pageAddress(loc.href, last.href), pathname: loc.pathname };
  };
  guard(() => {
    const h = w.history as Hist;
    (['pushState', 'replaceState'] as const).forEach((k) => {
      const orig = h[k];
      if (typeof orig != 'function') return;
      // The original runs first and its result or exception is the caller's, untouched.
      h[k] = function (this: unknown, ...args: unknown[]) {
        const r = orig.apply(this, args);
        guard(() => route(k == 'replaceState'));
        return r;
      };
    });
  });
  guard(() => on(w, 'popstate', () => route(false)));
}
