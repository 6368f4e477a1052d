/** A fake `location` reading the page's current URL, which a test's fake history changes. */
export function liveLocation(current: () => URL): { readonly href: string; readonly pathname: string; readonly hostname: string; readonly protocol: string } {
  return {
    get href() {
      return current().href;
    },
    get pathname() {
      return current().pathname;
    },
    get hostname() {
      return current().hostname;
    },
    get protocol() {
      return current().protocol;
    },
  };
}
