import type { Hist, Loc, Win } from './environment.js';
import { guard, on } from './guard.js';

/** The SPA rule: pushState and popstate count a changed page address, replaceState only a changed
 * path (routers use it to rewrite query strings and scroll state, which is not a new page). A
 * fragment counts only when it looks like a hash route (#/… or #!…): a jump to #section is no page. */
export function isNewPage(prev: { href: string; pathname: string }, loc: Loc, pathOnly: boolean): boolean {
  return pathOnly ? loc.pathname != prev.pathname : pageAddress(loc.href) != pageAddress(prev.href);
}

function pageAddress(href: string): string {
  const i = href.indexOf('#');
  return i < 0 || /^#[/!]/.test(href.slice(i)) ? href : href.slice(0, i);
}

/** Calls `newPage` with the previous address whenever an SPA moves to a new page (isNewPage):
 * history.pushState/replaceState are wrapped and popstate is listened to. */
export function watchNavigation(w: Win, newPage: (previousHref: string) => void): void {
  const loc = w.location;
  let last = { href: loc.href, pathname: loc.pathname };
  const route = (pathOnly: boolean): void => {
    if (isNewPage(last, loc, pathOnly)) newPage(last.href);
    last = { href: loc.href, pathname: loc.pathname };
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
