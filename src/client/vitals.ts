import { clsTracker } from './cls-tracker.js';
import type { PerfEntry, PerfObserverCtor, Win } from './environment.js';
import { guard } from './guard.js';

/** A performance beacon's payload: whole milliseconds, and cls. */
export type Measures = Record<string, number>;

/** Sets p[k] to v in whole milliseconds, only when the browser measured it (v > 0), counted from
 * `from` (a prerendered page's activationStart, as web-vitals counts: what happened before is 0). */
export function putMs(p: Measures, k: string, v: number | undefined, from = 0): void {
  if ((v as number) > 0) p[k] = Math.round(Math.max((v as number) - from, 0)); // undefined > 0 is false
}

export interface Vitals {
  /** Adds the vitals measured so far to p the first time it is called after a start, then nothing. */
  read(p: Measures): void;
  /** A new measurement, for a page restored from the back/forward cache: no navigation timings or
   * LCP (nothing was loaded), INP and CLS from now on, as web-vitals does. */
  restart(): void;
}

/** Starts the observers now, with buffered entries, for the page's first view: its vitals are read
 * once, when the page is first hidden or left for another route (navigation timings, lcp, cls, inp;
 * what the browser cannot measure is left out). A prerendered page's are counted from its activation
 * and a page loaded hidden has no LCP or CLS, as web-vitals reports them. */
export function observeVitals(w: Win): Vitals {
  const doc = w.document;
  const hiddenAtLoad = doc.visibilityState == 'hidden' && !doc.prerendering;
  let lcp = 0;
  let inp = 0;
  let cls = clsTracker();
  let read = false;
  let restored = false;
  const pending: (() => void)[] = [];
  const observe = (type: string, fn: (e: PerfEntry) => void): boolean => {
    try {
      const PO = w.PerformanceObserver as PerfObserverCtor;
      const types = PO.supportedEntryTypes;
      if (types && types.indexOf(type) < 0) return false;
      const each = (list: PerfEntry[]): void => list.forEach((e) => guard(() => fn(e)));
      const ob = new PO((l) => guard(() => each(l.getEntries())));
      // durationThreshold only matters to 'event' (INP); other types ignore it.
      ob.observe({ type, buffered: true, durationThreshold: 40 });
      pending.push(() => each(ob.takeRecords()));
      return true;
    } catch (e) {
      return false; // unsupported entry types throw in some browsers
    }
  };
  const interaction = (e: PerfEntry): void => {
    if (e.interactionId || e.entryType == 'first-input') inp = Math.max(inp, e.duration);
  };
  observe('largest-contentful-paint', (e) => {
    if (!hiddenAtLoad && !restored) lcp = e.startTime;
  });
  // web-vitals reports CLS only after a first contentful paint seen visible: none for a hidden load.
  const hasCls = !hiddenAtLoad && observe('layout-shift', (e) => cls.addShift(e));
  // INP here is the slowest interaction (not web-vitals' p98); first-input covers browsers without 'event'.
  observe('event', interaction);
  observe('first-input', interaction);

  return {
    read(p) {
      if (read) return;
      read = true;
      pending.forEach(guard);
      let activation = 0;
      if (!restored)
        guard(() => {
          const perf = w.performance as { getEntriesByType(type: string): PerfEntry[] };
          const nav = perf.getEntriesByType('navigation')[0] as PerfEntry;
          activation = nav.activationStart || 0;
          putMs(p, 'ttfb', nav.responseStart, activation);
          putMs(p, 'domContentLoaded', nav.domContentLoadedEventEnd, activation);
          putMs(p, 'load', nav.loadEventEnd, activation);
        });
      putMs(p, 'lcp', lcp, activation);
      if (hasCls) p.cls = cls.score();
      putMs(p, 'inp', inp);
    },
    restart() {
      pending.forEach(guard); // entries of the page before it was cached are not the restored view's
      restored = true;
      read = false;
      lcp = inp = 0;
      cls = clsTracker();
    },
  };
}
