// What the collector uses of the page, as interfaces: the real window is passed in by collector.ts,
// a fake by test/client. No DOM type is named here: these files are also typechecked by the Node
// tsconfig through their tests, where the DOM lib must not leak in.
// ES2019 only in src/client (the build's target): no `?.` or `??`, which esbuild would rewrite
// longer.

// Methods, not function-typed properties: method parameters are checked bivariantly, which is what
// lets the DOM's `window` (with its overloads and wider types) be passed as a `Win` without a cast.
export interface Listenable {
  // any: each DOM overload passes its own event type; each handler declares what it reads.
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
  /** True while speculation rules prerender the page; `prerenderingchange` fires on activation. */
  prerendering?: boolean;
  baseURI?: string;
  createElement?(name: 'script'): ScriptTag;
  // any: the DOM's appendChild is generic over Node, which a ScriptTag does not spell out.
  head?: { appendChild(tag: any): ScriptTag };
}
/** The tag that loads the opt-in events' file. */
export interface ScriptTag {
  src: string;
}
/** What the opt-in trackers read of a clicked link or a submitted form. */
export interface Target {
  closest?(selector: string): Target | null;
  href?: string;
  hostname?: string;
  pathname?: string;
  action?: string;
}
export interface Nav {
  doNotTrack?: string | null;
  globalPrivacyControl?: boolean;
  webdriver?: boolean;
  sendBeacon?(url: string, data: string): boolean;
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
  activationStart?: number;
  loadEventEnd?: number;
}
export interface PerfObserverCtor {
  new (callback: (list: { getEntries(): PerfEntry[] }) => void): { observe(options: object): void; takeRecords(): PerfEntry[] };
  supportedEntryTypes?: readonly string[];
}
export interface FetchInit {
  method: string;
  body: string;
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
  fetch?(url: string, init: FetchInit): Promise<unknown>;
  localStorage?: { getItem(key: string): string | null };
  console?: { warn(...args: unknown[]): void };
  beacon?: unknown;
}
