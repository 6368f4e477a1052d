// A fake window for the collector's unit tests: a movable location, recording history, transport,
// observers, visibility (hidden, prerendering), storage and console.
import type { Beacon } from '../../src/client/beacon.js';
import type { FetchInit, PerfEntry, ScriptTag, Win } from '../../src/client/environment.js';
import type { Options } from '../../src/client/start.js';
import { liveLocation } from '../helpers/live-location.js';

export const PAGE = 'https://shop.example/products?id=1';
export const SCRIPT = 'https://stats.example/collector.js';
export const ENDPOINT = 'https://stats.example/collect';
export const T0 = 1_700_000_000_000;
/** What a browser sends a string body as, by sendBeacon or fetch. */
export const TEXT = 'text/plain;charset=UTF-8';
/** The Content-Type a browser derives from a body: text/plain only for a string (a Blob has its own). */
const typeOf = (body: unknown): string => (typeof body === 'string' ? TEXT : `not a string: ${Object.prototype.toString.call(body)}`);

export class Listeners {
  private map = new Map<string, ((e: unknown) => void)[]>();
  addEventListener(type: string, fn: (e: unknown) => void): void {
    this.map.set(type, [...(this.map.get(type) ?? []), fn]);
  }
  fire(type: string, event: object = {}): void {
    for (const fn of this.map.get(type) ?? []) fn(event);
  }
}

export interface Request {
  via: 'beacon' | 'fetch';
  url: string;
  body: string;
  contentType: string;
  init?: FetchInit;
}

export interface FakeOptions {
  href?: string;
  referrer?: string;
  transport?: 'beacon' | 'refused' | 'no-beacon' | 'beacon-throws';
  navigator?: { doNotTrack?: string; globalPrivacyControl?: boolean; webdriver?: boolean };
  hidden?: boolean;
  /** Loaded by speculation rules: not shown until activate(). */
  prerendering?: boolean;
  /** What localStorage.getItem answers, or 'throws' (storage blocked). */
  storage?: Record<string, string> | 'throws';
  supportedEntryTypes?: string[];
  navigation?: Partial<PerfEntry>;
}

/** A window with a movable location, recording history, transport and observers. */
export function fakeWindow(o: FakeOptions = {}) {
  let url = new URL(o.href ?? PAGE);
  let time = T0;
  const requests: Request[] = [];
  const deferred: (() => void)[] = [];
  const warnings: unknown[][] = [];
  const historyThis: unknown[] = [];
  const observers = new Map<string, (list: { getEntries(): PerfEntry[] }) => void>();
  const pendingRecords = new Map<string, PerfEntry[]>();
  const win = new Listeners();
  const added: ScriptTag[] = [];
  const doc = Object.assign(new Listeners(), {
    referrer: o.referrer ?? 'https://search.example/?q=shoes',
    visibilityState: o.hidden || o.prerendering ? 'hidden' : 'visible',
    prerendering: !!o.prerendering,
    baseURI: url.href,
    createElement: (): ScriptTag => ({ src: '' }),
    head: { appendChild: (tag: ScriptTag) => (added.push(tag), tag) },
  });
  const navigator: Win['navigator'] = { ...o.navigator };
  if (o.transport !== 'no-beacon') {
    navigator.sendBeacon = (to: string, data: string) => {
      if (o.transport === 'beacon-throws') throw new TypeError('Illegal invocation');
      if (o.transport === 'refused') return false;
      requests.push({ via: 'beacon', url: to, body: data, contentType: typeOf(data) });
      return true;
    };
  }
  class FakeObserver {
    static supportedEntryTypes = o.supportedEntryTypes ?? ['navigation', 'largest-contentful-paint', 'layout-shift', 'event', 'first-input'];
    private type = '';
    constructor(private readonly callback: (list: { getEntries(): PerfEntry[] }) => void) {}
    observe(options: { type: string; buffered?: boolean; durationThreshold?: number }): void {
      this.type = options.type;
      observers.set(options.type, this.callback);
    }
    takeRecords(): PerfEntry[] {
      const records = pendingRecords.get(this.type) ?? [];
      pendingRecords.delete(this.type);
      return records;
    }
  }
  const w: Win & { fire: Listeners['fire'] } = {
    addEventListener: win.addEventListener.bind(win),
    fire: win.fire.bind(win),
    location: liveLocation(() => url),
    document: doc,
    navigator,
    history: {
      pushState(this: unknown, _state: unknown, _title: unknown, to?: unknown) {
        historyThis.push(this);
        if (String(to).startsWith('javascript:')) throw new Error('SecurityError');
        url = new URL(String(to), url);
        return 'pushed';
      },
      replaceState(_state: unknown, _title: unknown, to?: unknown) {
        url = new URL(String(to), url);
        return 'replaced';
      },
    },
    localStorage: {
      getItem(key: string) {
        if (o.storage === 'throws') throw new Error('SecurityError: access denied');
        return o.storage?.[key] ?? null;
      },
    },
    console: { warn: (...args: unknown[]) => void warnings.push(args) },
    innerWidth: 1280,
    innerHeight: 720,
    performance: {
      getEntriesByType: (type: string) => (type === 'navigation' && o.navigation ? [{ entryType: 'navigation', startTime: 0, duration: 0, ...o.navigation }] : []),
    },
    PerformanceObserver: FakeObserver,
    fetch(to: string, init: FetchInit) {
      requests.push({ via: 'fetch', url: to, body: init.body, contentType: typeOf(init.body), init });
      return Promise.resolve({});
    },
  };
  /** start()'s options: `attrs` are the tag's data- attributes, without the prefix. */
  const options = (attrs: Record<string, string> = {}, extra: Partial<Options> = {}): Options => ({
    collectPath: '/collect',
    scriptSrc: SCRIPT,
    attr: (name) => attrs[name] ?? null,
    clock: () => time,
    defer: (fn) => deferred.push(fn),
    ...extra,
  });
  return {
    w,
    doc,
    options,
    requests,
    /** The script tags the collector added to the page (the opt-in events' file). */
    added,
    historyThis,
    warnings,
    /** Runs what the collector deferred (the end of the current task in a browser). */
    tick() {
      for (const fn of deferred.splice(0)) fn();
    },
    /** Moves the location as the browser does on back/forward (no history call). */
    moveTo(href: string) {
      url = new URL(href);
    },
    advance(ms: number) {
      time += ms;
    },
    setHidden(hidden: boolean) {
      doc.visibilityState = hidden ? 'hidden' : 'visible';
      doc.fire('visibilitychange');
    },
    /** A prerendered page activated: prerendering ends, prerenderingchange, then visible. */
    activate() {
      doc.prerendering = false;
      doc.fire('prerenderingchange');
      doc.visibilityState = 'visible';
      doc.fire('visibilitychange');
    },
    /** Leaving for another page with the document kept in the back/forward cache, then coming back. */
    leaveToCache() {
      doc.visibilityState = 'hidden';
      doc.fire('visibilitychange');
      win.fire('pagehide', { persisted: true });
    },
    restoreFromCache() {
      win.fire('pageshow', { persisted: true });
      doc.visibilityState = 'visible';
      doc.fire('visibilitychange');
    },
    /** Delivers entries to the observer of that type, as the browser's callback would. */
    emit(type: string, entries: Partial<PerfEntry>[]) {
      const full = entries.map((e) => ({ entryType: type, startTime: 0, duration: 0, ...e }));
      observers.get(type)?.({ getEntries: () => full });
    },
    /** Queues entries not yet delivered: only takeRecords() sees them. */
    queue(type: string, entries: Partial<PerfEntry>[]) {
      pendingRecords.set(type, entries.map((e) => ({ entryType: type, startTime: 0, duration: 0, ...e })));
    },
    /** Every beacon sent so far, in order, arrays flattened. */
    beacons(): Beacon[] {
      return requests.flatMap((r) => {
        const parsed = JSON.parse(r.body) as Beacon | Beacon[];
        return Array.isArray(parsed) ? parsed : [parsed];
      });
    },
  };
}

