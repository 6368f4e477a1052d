// Imports in the order the bundle should lay the modules out: it keeps the gzipped script as small
// as it was when this was one file.
import { guard } from './guard.js';
import { dntEnabled, isLocal } from './opt-out.js';
import { watchNavigation } from './navigation.js';
import { trackErrors } from './error-tracking.js';
import { cut, eventPayload, makeBeacon, type BeaconType } from './beacon.js';
import { createSender, resolveEndpoint, type Sender } from './sender.js';
import { observeVitals, putMs, type Measures } from './vitals.js';
import { onHidden } from './page-lifecycle.js';
import type { Win } from './environment.js';

export interface Options {
  /** Default path of the endpoint on the script's origin (the server fills in COLLECT_PATH). */
  path: string;
  /** The script's own URL (`document.currentScript.src`); empty: the page's origin. */
  src?: string | null;
  /** `data-endpoint`: absolute, or relative to the page. */
  endpoint?: string | null;
  /** `data-respect-dnt`: send nothing under Do Not Track or Global Privacy Control. */
  respectDnt?: boolean;
  /** `data-include-localhost`: also send from localhost, 127/8, [::1] and file: pages. */
  includeLocalhost?: boolean;
  now?: () => number;
  /** Runs a function after the current task: beacons made until then share one request. */
  defer?: (fn: () => void) => void;
}

/** The stub snippet's function: `q` holds the `arguments` of calls made before the script ran. */
interface BeaconFn {
  (name?: unknown, props?: unknown): void;
  q?: ArrayLike<unknown>[];
  v?: number;
}

/** Wires everything to a window: pageviews (load, SPA), errors, vitals and engagement, window.beacon.
 * Each tracker only reports; the beacon's common fields (referrer, time) are filled in here. */
export function start(w: Win, o: Options): void {
  const prior = w.beacon as BeaconFn | undefined;
  if (prior && prior.v) return; // the script included twice: the first one does the work
  const now = o.now || Date.now;
  const doc = w.document;
  const loc = w.location;
  let sender: Sender | undefined;
  guard(() => {
    if ((o.respectDnt && dntEnabled(w.navigator)) || (!o.includeLocalhost && isLocal(loc))) return;
    sender = createSender(w, resolveEndpoint(o.path, o.src, o.endpoint, doc.baseURI || loc.href), o.defer || ((fn) => void Promise.resolve().then(fn)));
  });
  let referrer = doc.referrer;
  const send = (type: BeaconType, name?: string, payload?: object): void => {
    if (sender) sender.push(makeBeacon(w, now(), type, referrer, name, payload));
  };

  if (sender) {
    const s = sender;
    guard(() => send('pageview'));
    watchNavigation(w, (previous) => {
      referrer = previous;
      send('pageview');
    });
    trackErrors(w, o.src, (p) => send('error', '', p));
    const vitals = observeVitals(w);
    // Engagement (time visible) goes with every hide; the vitals only with the first.
    onHidden(w, now, (visibleMs) => {
      const p: Measures = {};
      vitals(p);
      putMs(p, 'engagementMs', visibleMs);
      if (Object.keys(p).length) {
        send('performance', '', p);
        s.flush(); // now: the page may be gone before the deferred flush
      }
    });
  }

  const api: BeaconFn = (name, props) =>
    guard(() => {
      const n = cut(name, 64);
      if (n) send('event', n, eventPayload(props));
    });
  api.v = 1;
  // Replay the stub's calls in order (after the load pageview, so the session opens with it).
  guard(() => {
    const q = prior && prior.q;
    if (q) for (let i = 0; i < q.length; i++) api.apply(null, q[i] as unknown as [unknown, unknown]);
  });
  w.beacon = api;
}
