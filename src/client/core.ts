// The collector's logic. Everything the page provides comes in through `Win` (the real window in
// collector.ts, a fake in test/client), and no DOM type is named here: this file is also
// typechecked by the Node tsconfig through its tests, where the DOM lib must not leak in.
// ES2017 only, and no `?.`/`??`/optional catch binding in hot spots: esbuild would add helpers.

export type BeaconType = 'pageview' | 'event' | 'click' | 'error' | 'performance';

/** One item of the wire format (DESIGN.md, "Contract: wire format"). */
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

// Methods, not function-typed properties: method parameters are checked bivariantly, which is what
// lets the DOM's `window` (with its overloads and wider types) be passed as a `Win` without a cast.
export interface Listenable {
  // any: each DOM overload passes its own event type; handlers in start() declare what they read.
  addEventListener(type: string, listener: (event: any) => void): void;
}
export interface Loc {
  href: string;
  pathname: string;
  hostname: string;
  protocol: string;
}
export interface Doc extends Listenable {
  referrer: string;
  visibilityState?: string;
  baseURI?: string;
}
export interface Nav {
  doNotTrack?: string | null;
  globalPrivacyControl?: boolean;
  sendBeacon?(url: string, data: unknown): boolean;
}
export interface Hist {
  pushState(...args: unknown[]): unknown;
  replaceState(...args: unknown[]): unknown;
}
export interface PerfEntry {
  entryType: string;
  startTime: number;
  duration: number;
  value?: number;
  hadRecentInput?: boolean;
  interactionId?: number;
  responseStart?: number;
  domContentLoadedEventEnd?: number;
  loadEventEnd?: number;
}
export interface PerfObserverCtor {
  new (callback: (list: { getEntries(): PerfEntry[] }) => void): { observe(options: object): void; takeRecords(): PerfEntry[] };
  supportedEntryTypes?: readonly string[];
}
export interface FetchInit {
  method: string;
  body: string;
  headers: Record<string, string>;
  keepalive: boolean;
  mode: 'no-cors';
}
export interface Win extends Listenable {
  location: Loc;
  document: Doc;
  navigator: Nav;
  history?: Hist;
  innerWidth: number;
  innerHeight: number;
  performance?: { getEntriesByType?(type: string): PerfEntry[] };
  PerformanceObserver?: PerfObserverCtor;
  Blob?: new (parts: string[], options: { type: string }) => unknown;
  fetch?(url: string, init: FetchInit): Promise<unknown>;
  beacon?: unknown;
}

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

export const MAX_BATCH = 50; // the server's limit for one array
// sendBeacon and keepalive fetch share a 64 KiB in-flight quota per page and the server takes 64 KiB
// bodies; JSON.stringify leaves non-ASCII raw (up to 3 UTF-8 bytes a char), so 20,000 chars is safe.
export const MAX_BODY_CHARS = 20000;
export const MAX_PAYLOAD_CHARS = 8192; // the server stores NULL over 8 KiB: don't ship it
export const MAX_ERRORS = 10; // per page load: a loop throwing every frame must not flood the server

const noop = (): void => {};

/** Calls fn and swallows what it throws: nothing of ours may ever surface in the host page. */
export function guard(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    // silent by design
  }
}

/** Where beacons go: data-endpoint against the page, else the default path on the script's origin. */
export function resolveEndpoint(path: string, src: string | null | undefined, endpoint: string | null | undefined, base: string): string {
  return endpoint ? new URL(endpoint, base).href : new URL(path, src || base).href;
}

/** A developer's own machine: its pageviews would pollute the statistics. */
export function isLocal(loc: Loc): boolean {
  return loc.protocol == 'file:' || /^(localhost|127(\.\d+){3}|\[::1\])$/.test(loc.hostname);
}

export function dntEnabled(nav: Nav): boolean {
  return nav.doNotTrack == '1' || nav.globalPrivacyControl === true;
}

/** The SPA rule: pushState and popstate count a changed page address, replaceState only a changed
 * path (routers use it to rewrite query strings and scroll state, which is not a new page). A
 * fragment counts only when it looks like a hash route (#/… or #!…): a jump to #section is no page. */
export function isNewPage(prev: { href: string; pathname: string }, loc: Loc, pathOnly: boolean): boolean {
  return pathOnly ? loc.pathname != prev.pathname : pageAddress(loc.href) != pageAddress(prev.href);
}

function pageAddress(href: string): string {
  const i = href.indexOf('#');
  return i < 0 || /^#[/!]/.test(href.slice(i)) ? href : href.slice(0, i);
}

/** At most `max` errors per page load, each message+source+line once. */
export function errorGate(max = MAX_ERRORS): (key: string) => boolean {
  const seen = new Set<string>();
  return (key) => {
    if (seen.has(key) || seen.size >= max) return false;
    seen.add(key);
    return true;
  };
}

const cut = (v: unknown, n: number): string => (v == null ? '' : String(v)).slice(0, n);

export interface ErrorPayload {
  message: string;
  source: string;
  line: number;
  column: number;
  stack: string;
}

export function errorPayload(message: unknown, source: unknown, line: unknown, column: unknown, stack: unknown): ErrorPayload {
  return { message: cut(message, 500), source: cut(source, 1000), line: +(line as number) || 0, column: +(column as number) || 0, stack: cut(stack, 1000) };
}

/** `window.beacon`'s props become the payload only when a plain object that serialises small. */
export function eventPayload(props: unknown): object | undefined {
  if (!props || typeof props != 'object') return;
  // Plain: the prototype is null or some realm's Object.prototype (whose own prototype is null),
  // so objects from another frame pass and arrays, dates and class instances do not.
  const proto = Object.getPrototypeOf(props);
  if (proto && Object.getPrototypeOf(proto)) return;
  try {
    if (JSON.stringify(props).length <= MAX_PAYLOAD_CHARS) return props;
  } catch (e) {
    // cycles, BigInt: no payload
  }
}

export function makeBeacon(w: Pick<Win, 'location' | 'innerWidth' | 'innerHeight'>, timestamp: number, type: BeaconType, referrer: string, name?: string, payload?: object): Beacon {
  const b: Beacon = { type, url: w.location.href, referrer, viewportW: w.innerWidth, viewportH: w.innerHeight, timestamp };
  if (name) b.name = name.slice(0, 64);
  if (payload) b.payload = payload;
  return b;
}

export interface Sender {
  push(b: Beacon): void;
  flush(): void;
}

/** Queues beacons and sends those of one task together: one object, or an array of at most
 * MAX_BATCH within MAX_BODY_CHARS. A beacon is serialised when pushed, so later changes to the
 * caller's props object do not alter it. */
export function createSender(w: Win, endpoint: string, defer: (fn: () => void) => void): Sender {
  let queue: string[] = [];
  let armed = false;
  const transmit = (body: string): void => {
    try {
      // text/plain: a CORS-safelisted type, so no preflight. A missing sendBeacon (or Blob) throws
      // here; false means the browser refused (quota, size): both fall back to fetch.
      if ((w.navigator.sendBeacon as NonNullable<Nav['sendBeacon']>)(endpoint, new (w.Blob as NonNullable<Win['Blob']>)([body], { type: 'text/plain' }))) return;
    } catch (e) {
      // fall through
    }
    guard(() => {
      // no-cors: the answer is an empty 204 we never read, and a refused origin then logs nothing.
      (w.fetch as NonNullable<Win['fetch']>)(endpoint, { method: 'POST', body, headers: { 'Content-Type': 'text/plain' }, keepalive: true, mode: 'no-cors' }).catch(noop);
    });
  };
  const flush = (): void => {
    armed = false;
    const items = queue;
    queue = [];
    let parts: string[] = [];
    let size = 0;
    const out = (): void => {
      if (parts.length) transmit(parts.length > 1 ? '[' + parts.join(',') + ']' : (parts[0] as string));
      parts = [];
      size = 0;
    };
    for (const s of items) {
      if (parts.length >= MAX_BATCH || size + s.length > MAX_BODY_CHARS) out();
      parts.push(s);
      size += s.length + 1;
    }
    out();
  };
  return {
    push(b) {
      queue.push(JSON.stringify(b));
      if (!armed) {
        armed = true;
        defer(() => guard(flush));
      }
    },
    flush,
  };
}

/** Layout shifts grouped like web-vitals' CLS: session windows (gaps under 1 s, at most 5 s long),
 * the largest window's sum wins; shifts right after input are expected and skipped. */
export function clsTracker(): { add(e: PerfEntry): void; value(): number } {
  let max = 0;
  let sum = 0;
  let first = 0;
  let last = 0;
  return {
    add(e) {
      if (e.hadRecentInput) return;
      if (sum && e.startTime - last < 1000 && e.startTime - first < 5000) sum += e.value || 0;
      else {
        sum = e.value || 0;
        first = e.startTime;
      }
      last = e.startTime;
      if (sum > max) max = sum;
    },
    value: () => Math.round(max * 1e4) / 1e4,
  };
}

/** Wires everything to a window: pageviews (load, SPA), errors, vitals and engagement, window.beacon. */
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
  let last = { href: loc.href, pathname: loc.pathname };
  const send = (type: BeaconType, name?: string, payload?: object): void => {
    if (sender) sender.push(makeBeacon(w, now(), type, referrer, name, payload));
  };
  const on = <E>(target: Listenable, type: string, fn: (e: E) => void): void => target.addEventListener(type, (e: E) => guard(() => fn(e)));

  if (sender) {
    const s = sender;
    guard(() => send('pageview'));

    const route = (pathOnly: boolean): void => {
      if (isNewPage(last, loc, pathOnly)) {
        referrer = last.href;
        send('pageview');
      }
      last = { href: loc.href, pathname: loc.pathname };
    };
    guard(() => {
      const h = w.history as Hist;
      (['pushState', 'replaceState'] as const).forEach((k) => {
        const orig = h[k];
        if (typeof orig != 'function') return;
        // The original runs first and its result or exception is the caller's, untouched.
        h[k] = function (this: unknown, ...args: unknown[]) {
          const r = orig.apply(this, args);
          guard(() => route(k == 'replaceState'));
          return r;
        };
      });
    });
    guard(() => on(w, 'popstate', () => route(false)));

    const gate = errorGate();
    const error = (message: unknown, source: unknown, line: unknown, column: unknown, stack: unknown): void => {
      if (source && source == o.src) return; // our own bug: not the site's to see
      const p = errorPayload(message, source, line, column, stack);
      if (gate(p.message + '\n' + p.source + '\n' + p.line)) send('error', '', p);
    };
    guard(() => {
      on(w, 'error', (e: { message?: string; filename?: string; lineno?: number; colno?: number; error?: { stack?: unknown } }) =>
        error(e.message, e.filename, e.lineno, e.colno, e.error && e.error.stack),
      );
      on(w, 'unhandledrejection', (e: { reason?: { message?: unknown; stack?: unknown } }) => {
        const r = e.reason;
        error((r && r.message) || r, '', 0, 0, r && r.stack);
      });
    });

    // Vitals: observers start now with buffered entries; read once, when the page is first hidden.
    let lcp = 0;
    let inp = 0;
    let hasCls = false;
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
    hasCls = observe('layout-shift', cls.add);
    // INP here is the slowest interaction (not web-vitals' p98); first-input covers browsers without 'event'.
    observe('event', interaction);
    observe('first-input', interaction);

    // Engagement: time visible, sent whenever the page is hidden (the last chance on mobile).
    let visibleSince = doc.visibilityState == 'hidden' ? -1 : now();
    let engaged = 0;
    let vitalsSent = false;
    const hidden = (): void => {
      if (visibleSince >= 0) engaged += now() - visibleSince;
      visibleSince = -1;
      const p: Record<string, number> = {};
      const ms = (k: string, v: number | undefined): void => {
        if (v && v > 0) p[k] = Math.round(v);
      };
      if (!vitalsSent) {
        vitalsSent = true;
        pending.forEach(guard);
        guard(() => {
          const perf = w.performance as { getEntriesByType(type: string): PerfEntry[] };
          const nav = perf.getEntriesByType('navigation')[0] as PerfEntry;
          ms('ttfb', nav.responseStart);
          ms('domContentLoaded', nav.domContentLoadedEventEnd);
          ms('load', nav.loadEventEnd);
        });
        ms('lcp', lcp);
        if (hasCls) p.cls = cls.value();
        ms('inp', inp);
      }
      ms('engagementMs', engaged);
      engaged = 0;
      if (Object.keys(p).length) {
        send('performance', '', p);
        s.flush(); // now: the page may be gone before the deferred flush
      }
    };
    on(doc, 'visibilitychange', () => {
      if (doc.visibilityState == 'hidden') hidden();
      else if (visibleSince < 0) visibleSince = now();
    });
    on(w, 'pagehide', hidden);
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
