import type { Loc, Nav } from './environment.js';

/** A developer's own machine: its pageviews would pollute the statistics. */
export function isLocal(loc: Loc): boolean {
  return loc.protocol == 'file:' || /^(localhost|127(\.\d+){3}|\[::1\])$/.test(loc.hostname);
}

export function dntEnabled(nav: Nav): boolean {
  return nav.doNotTrack == '1' || nav.globalPrivacyControl === true;
}
