// Imports in the order the bundle should lay the modules out: it keeps the gzipped script small.
import { guard } from './guard.js';
import { dntEnabled, excluded, isLocal } from './opt-out.js';
import { watchNavigation } from './navigation.js';
import { trackErrors } from './error-tracking.js';
import { cut, eventPayload, makeBeacon, type Beacon, type BeaconType } from './beacon.js';
import { createSender, resolveEndpoint, type Sender } from './sender.js';
import { observeVitals, putMs, type Measures } from './vitals.js';
import { watchPage } from './page-lifecycle.js';
import type { Doc, Win } from './environment.js';

export interface Options {
  /** Default path of the endpoint on the script's origin (the server fills in COLLECT_PATH). */
  collectPath: string;
  /** The script's own URL (`document.currentScript.src`); empty: the page's origin. */
  scriptSrc?: string | null;
  /** The script tag's `data-<name>` attribute, null when absent (collector.ts lists them). */
  attr(name: string): string | null;
  clock?: () => number;
  /** Runs a function after the current task: beacons made until then share one request. */
  defer?: (fn: () => void) => void;
}

/** The stub snippet's function: `q` holds the `arguments` of calls made before the script ran. */
interface BeaconFn {
  (name?: unknown, props?: unknown): void;
  q?: ArrayLike<unknown>[]; // an array (the stub makes it), of `arguments` objects
  v?: number;
}

/** Wires everything to a window: pageviews (when first shown, SPA routes, bfcache restores), errors,
 * vitals and engagement per route, window.beacon, the opt-in events. Each tracker only reports; the
 * beacon's common fields (referrer, time) are filled in here. Until the page is first shown, beacons
 * are held back, then sent after its pageview; a page never shown sends nothing. */
export function start(w: Win, o: Options): void {
  const prior = w.beacon as BeaconFn | undefined;
  if (prior && prior.v) return; // the script included twice: the first one does the work
  const now = o.clock || Date.now;
  const doc = w.document;
  const loc = w.location;
  const has = (name: string): boolean => o.attr(name) != null;
  let sender: Sender | undefined;
  guard(() => {
    if ((has('respect-dnt') && dntEnabled(w.navigator)) || (!has('include-localhost') && isLocal(loc)) || excluded(w, has('include-automation'))) return;
    sender = createSender(w, resolveEndpoint(o.collectPath, o.scriptSrc, o.attr('endpoint'), doc.baseURI || loc.href), o.defer || ((fn) => void Promise.resolve().then(fn)));
  });
  let referrer = doc.referrer;
  let held: Beacon[] | null = [];
  const send = (type: BeaconType, name?: string, payload?: object, url?: string): void => {
    if (!sender) return;
    const b = makeBeacon(w, now(), type, referrer, name, payload, url);
    if (held) held.push(b);
    else sender.enqueue(b);
  };

  if (sender) {
    const s = sender;
    const vitals = observeVitals(w);
    // One performance row per route shown: its engaged time, and for the first route of a page load
    // or bfcache restore its vitals (read once, at its first hide or when it is left).
    const report = (visibleMs: number, url?: string): void => {
      const p: Measures = {};
      vitals.read(p);
      putMs(p, 'engagementMs', visibleMs);
      if (Object.keys(p).length) send('performance', '', p, url);
    };
    // Before watchPage, whose hide callback reads the address; this callback's `take` (declared
    // below) is only called at a later navigation.
    const address = watchNavigation(w, (previous) => {
      if (held) return; // not shown yet: its first pageview will have the address it is shown at
      report(take(), previous);
      referrer = previous;
      send('pageview');
    });
    const take = watchPage(
      w,
      now,
      (restored) => {
        if (restored) vitals.restart();
        const early = held || [];
        held = null;
        send('pageview');
        early.forEach(s.enqueue);
      },
      (visibleMs) => {
        report(visibleMs, address());
        s.flush(); // now: the page may be gone before the deferred flush
      },
    );
    trackErrors(w, o.scriptSrc, (p) => send('error', '', p));
    // The opt-in link, download and form events are a second file (events.ts, at this script's URL
    // with ?events), added only for a tag that asks for them, so that this one stays within its
    // size budget. It reads this tag's data-track-* attributes and reports through window.beacon.
    if (has('track-outbound') || has('track-downloads') || has('track-forms'))
      guard(() => {
        // A script tag without src or text does nothing when inserted; setting src then loads it.
        (doc.head as NonNullable<Doc['head']>).appendChild((doc.createElement as NonNullable<Doc['createElement']>)('script')).src = new URL('?events', o.scriptSrc as string).href;
      });
  }

  let warned = false;
  const api: BeaconFn = (name, props) =>
    guard(() => {
      const n = cut(name, 64);
      // Once a page: enough for the site's developer to see, no flood from a call in a loop.
      if (n)
        send('event', n, eventPayload(props, (problem) => {
          if (!warned && w.console) w.console.warn('beacon: props ' + problem + ', event sent without them');
          warned = true;
        }));
    });
  api.v = 1;
  // Replay the stub's calls in order (after the load pageview, so the session opens with it).
  // No stub (prior or its q undefined): the TypeError is swallowed, nothing to replay.
  guard(() => (prior as BeaconFn).q!.forEach((args) => api.apply(null, args as unknown as [unknown, unknown])));
  w.beacon = api;
}
