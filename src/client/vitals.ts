import { clsTracker } from './cls-tracker.js';
import type { PerfEntry, PerfObserverCtor, Win } from './environment.js';
import { guard } from './guard.js';

/** A performance beacon's payload: whole milliseconds, and cls. */
export type Measures = Record<string, number>;

/** Sets p[k] to v in whole milliseconds, only when the browser measured it (v > 0). */
export function putMs(p: Measures, k: string, v: number | undefined): void {
  if (v && v > 0) p[k] = Math.round(v);
}

/** Starts the observers now, with buffered entries. The returned function adds the vitals to a
 * payload the first time it is called and nothing after: they are read once, when the page is
 * first hidden (navigation timings, lcp, cls, inp; what the browser cannot measure is left out). */
export function observeVitals(w: Win): (p: Measures) => void {
  let lcp = 0;
  let inp = 0;
  const cls = clsTracker();
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
  observe('largest-contentful-paint', (e) => (lcp = e.startTime));
  const hasCls = observe('layout-shift', cls.add);
  // INP here is the slowest interaction (not web-vitals' p98); first-input covers browsers without 'event'.
  observe('event', interaction);
  observe('first-input', interaction);

  let read = false;
  return (p) => {
    if (read) return;
    read = true;
    pending.forEach(guard);
    guard(() => {
      const perf = w.performance as { getEntriesByType(type: string): PerfEntry[] };
      const nav = perf.getEntriesByType('navigation')[0] as PerfEntry;
      putMs(p, 'ttfb', nav.responseStart);
      putMs(p, 'domContentLoaded', nav.domContentLoadedEventEnd);
      putMs(p, 'load', nav.loadEventEnd);
    });
    putMs(p, 'lcp', lcp);
    if (hasCls) p.cls = cls.value();
    putMs(p, 'inp', inp);
  };
}
