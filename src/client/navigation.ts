import type { Hist, Win } from './environment.js';
import { guard, on } from './guard.js';

/** A URL before its first `marks` (the fragment, or with /[?#]/ the query too), the fragment, and
 * whether a fragment is a hash route (#/… or #!…) rather than an anchor (#section). */
const before = (href: string, marks = /#/): string => href.split(marks)[0] as string;
const fragment = (href: string): string => href.slice(before(href).length);
const isRoute = (f: string): boolean => /^#[/!]/.test(f);

/** The SPA rule, from the address of the page we are on (`prev`, as its pageview had it) to `href`:
 * pushState and popstate count a new path or query (a query too: the router made a history entry
 * for it, as for ?page=2) or a new hash route; replaceState only a new path (routers use it to
 * rewrite filters, sort orders and scroll state, which are not a new page). An anchor (#section), or
 * dropping one, is never a page, even after a hash route; leaving a hash route for no fragment is. */
export function isNewPage(prev: string, href: string, pathOnly: boolean): boolean {
  if (pathOnly) return before(href, /[?#]/) != before(prev, /[?#]/);
  const f = fragment(href);
  const was = fragment(prev);
  return before(href) != before(prev) || (isRoute(f) ? f != was : !f && isRoute(was));
}

/** Calls `newPage` with the previous page's address whenever an SPA moves to a new page (isNewPage):
 * history.pushState/replaceState are wrapped and popstate (which fragment changes fire too) is
 * listened to. Returns the current page's address: the URL of its pageview, or the URL a
 * replaceState gave it; an anchor jump leaves it as it was. */
export function watchNavigation(w: Win, newPage: (previousHref: string) => void): () => string {
  const loc = w.location;
  let last = loc.href;
  const route = (pathOnly: boolean): void => {
    const isNew = isNewPage(last, loc.href, pathOnly);
    if (isNew) newPage(last);
    if (isNew || before(loc.href) != before(last)) last = loc.href;
  };
  guard(() => {
    const h = w.history as Hist;
    (['pushState', 'replaceState'] as const).forEach((k) => {
      const orig = h[k];
      // The original runs first and its result or exception is the caller's, untouched.
      h[k] = function (this: unknown, ...args: unknown[]) {
        const r = orig.apply(this, args);
        guard(() => route(k == 'replaceState'));
        return r;
      };
    });
  });
  on(w, 'popstate', () => route(false));
  return () => last;
}
