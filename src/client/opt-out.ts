import type { Loc, Nav, Win } from './environment.js';

/** A developer's own machine: its pageviews would pollute the statistics. */
export function isLocal(loc: Loc): boolean {
  return loc.protocol == 'file:' || /^(localhost|127(\.\d+){3}|\[::1\])$/.test(loc.hostname);
}

export function dntEnabled(nav: Nav): boolean {
  return nav.doNotTrack == '1' || nav.globalPrivacyControl === true;
}

/** The site owner's own browser (`localStorage.beacon_ignore = 'true'`), or one driven by automation
 * (navigator.webdriver: crawlers and test runners with a normal User-Agent) unless the tag says
 * data-include-automation, which the project's own browser tests do. */
export function excluded(w: Win, includeAutomation?: boolean): boolean {
  try {
    return (!!w.navigator.webdriver && !includeAutomation) || (w.localStorage as NonNullable<Win['localStorage']>).getItem('beacon_ignore') == 'true';
  } catch (e) {
    return false; // storage blocked (sandboxed frames, blocked cookies): not the owner's opt-out
  }
}
