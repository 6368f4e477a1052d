import type { Win } from './environment.js';
import { MAX_PAYLOAD_CHARS } from './limits.js';

export type BeaconType = 'pageview' | 'event' | 'click' | 'error' | 'performance';

/** One item of the wire format (docs/wire-format.md). */
export interface Beacon {
  type: BeaconType;
  url: string;
  referrer: string;
  viewportW: number;
  viewportH: number;
  timestamp: number;
  name?: string;
  payload?: object;
}

/** A value as a string of at most n characters; null and undefined become ''. */
export const cut = (v: unknown, n: number): string => (v == null ? '' : String(v)).slice(0, n);

/** A beacon from the current page, or from `url` (a route being left reports under its own); the
 * caller cuts `name` to the wire format's 64 characters. */
export function makeBeacon(w: Pick<Win, 'location' | 'innerWidth' | 'innerHeight'>, timestamp: number, type: BeaconType, referrer: string, name?: string, payload?: object, url?: string): Beacon {
  // A field left undefined is not in the JSON: no name on a pageview, no payload when none.
  return { type, url: url || w.location.href, referrer, viewportW: w.innerWidth, viewportH: w.innerHeight, timestamp, name: name || undefined, payload };
}

/** `window.beacon`'s props become the payload only when a plain object that serialises small;
 * other props (null and undefined aside) are dropped, the event still goes, and `warn` hears why. */
export function eventPayload(props: unknown, warn: (problem: string) => void): object | undefined {
  if (props == null) return;
  let problem = 'not a plain object';
  try {
    // Plain: the prototype is null or some realm's Object.prototype (whose own prototype is null),
    // so objects from another frame pass and arrays, dates and class instances do not, nor
    // primitives and functions (whose prototypes, String.prototype and the like, have one).
    const proto = Object.getPrototypeOf(props) as object | null;
    if (!(proto && Object.getPrototypeOf(proto))) {
      problem = 'over 8 KB';
      if (JSON.stringify(props).length <= MAX_PAYLOAD_CHARS) return props as object;
    }
  } catch (e) {
    problem = 'not JSON'; // a cycle, a BigInt, a Proxy or getter that throws
  }
  warn(problem);
}
