// Umami's send endpoint (POST /api/send), as its tracker script (npm `umami`, src/tracker/index.js,
// versions 2 and 3) and @umami/node send it: mapped field by field in docs/trackers.md.
import { domainToASCII } from 'node:url';
import { excerpt } from '../pipeline/decode-body.js';
import { isObject, parseJson } from './json-body.js';
import type { TrackerBeacons } from './tracker-intake.js';

// Umami's own limits (its send route's schema).
const MAX_HOSTNAME = 100;
const MAX_LANGUAGE = 35;
const MAX_SCREEN = 11;
const MAX_TAG = 50;
// A title is text for a person: longer than this is no title (the payload keeps 8 KiB in all).
const MAX_TITLE = 512;
const SCREEN = /^\d{1,5}x\d{1,5}$/;
const VITALS = ['lcp', 'inp', 'cls', 'fcp', 'ttfb'] as const;
// Umami's bounds: milliseconds up to a minute, CLS up to 100.
const VITAL_MAX: Record<(typeof VITALS)[number], number> = { lcp: 60_000, inp: 60_000, cls: 100, fcp: 60_000, ttfb: 60_000 };

/**
 * One Umami message as our beacon. `event` without a name is a pageview, with one an event (its
 * `data` the payload); `performance` (version 3 with data-performance) a performance row;
 * `identify` is not stored (it ties a visitor to an account id and traits, which this cookieless
 * service does not keep). `url` is a path (version 2, URI-encoded) or a whole URL (version 3); a
 * path is resolved against the request's Origin when that is the same host, else https://hostname.
 */
export function umamiBeacon(raw: Buffer, origin: string | undefined): TrackerBeacons {
  const body = parseJson(raw);
  if (body === undefined) return { ok: false, reason: 'invalid_json', excerpt: excerpt(raw.toString('utf8')), malformed: true };
  if (!isObject(body) || !isObject(body.payload)) return invalid('not {"type", "payload": {…}}');
  const { type, payload: p } = body;
  if (type === 'identify') {
    return { ok: false, reason: 'unsupported_type', excerpt: 'umami identify: not stored (docs/trackers.md)', malformed: false };
  }
  if (type !== 'event' && type !== 'performance') return invalid(`type: must be event, identify or performance (got ${kind(type)})`);

  let hostname: string | undefined;
  if (p.hostname !== undefined) {
    if (typeof p.hostname !== 'string' || p.hostname.length > MAX_HOSTNAME) return invalid('hostname: a string of at most 100 characters');
    hostname = p.hostname.toLowerCase();
  }
  if (typeof p.url !== 'string' || p.url === '') return invalid('url: required, a string');
  const base = baseUrl(hostname, origin);
  const page = resolve(p.url, base);
  if (page === null) return invalid('url: not a URL, nor a path with a hostname');
  // Umami files a page under `hostname`; here the url's host is the site, so the two must agree.
  if (hostname !== undefined && !onHost(page, hostname)) return invalid('url: on another host than hostname');
  const item: Record<string, unknown> = { url: page, type: 'pageview' };
  // A referrer that is no URL (or no string) goes on as sent: the validator stores it NULL and counts it.
  if (p.referrer !== undefined && p.referrer !== '') item.referrer = typeof p.referrer === 'string' ? (resolve(p.referrer, base) ?? p.referrer) : p.referrer;
  if (typeof p.timestamp === 'number' && Number.isFinite(p.timestamp)) item.timestamp = p.timestamp * 1000; // seconds

  const out: Record<string, unknown> = Object.create(null);
  if (type === 'performance') {
    item.type = 'performance';
    for (const v of VITALS) {
      const n = p[v];
      if (typeof n === 'number' && n >= 0 && n <= VITAL_MAX[v]) out[v] = n;
    }
    if (typeof p.duration === 'number' && p.duration >= 0) out.durationMs = p.duration;
  } else {
    if (p.name !== undefined) {
      item.type = 'event';
      item.name = p.name; // a non-string or an overlong one is stored NULL and counted, as for /collect
    }
    if (isObject(p.data)) Object.assign(out, p.data);
  }
  meta(out, '$title', typeof p.title === 'string' ? decoded(p.title, decodeURIComponent) : undefined, MAX_TITLE);
  meta(out, '$language', p.language, MAX_LANGUAGE);
  meta(out, '$screen', typeof p.screen === 'string' && SCREEN.test(p.screen) ? p.screen : undefined, MAX_SCREEN);
  meta(out, '$tag', p.tag, MAX_TAG);
  if (Object.keys(out).length > 0) item.payload = out;
  return { ok: true, items: [item], sites: hostname === undefined ? [] : [hostname] };
}

/** A value for a rejection's detail. Not JSON.stringify: 64 KiB of nested arrays overflow its stack. */
function kind(v: unknown): string {
  if (typeof v === 'string') return excerpt(JSON.stringify(v));
  return Array.isArray(v) ? 'an array' : isObject(v) ? 'an object' : String(v);
}

function invalid(detail: string): TrackerBeacons {
  return { ok: false, reason: 'invalid_schema', excerpt: detail, malformed: true };
}

/** A short text field of Umami's kept in the payload under `key`, when it is a non-empty string within `max`. */
function meta(out: Record<string, unknown>, key: string, value: unknown, max: number): void {
  if (typeof value === 'string' && value !== '' && value.length <= max) out[key] = value;
}

/** The site a path is on: the page's own origin when the browser's Origin header names the same host. */
function baseUrl(hostname: string | undefined, origin: string | undefined): string | null {
  if (origin !== undefined) {
    const o = URL.parse(origin);
    if (o !== null && (hostname === undefined || o.hostname === hostname)) return o.origin;
  }
  return hostname === undefined ? null : `https://${hostname}`;
}

/** A whole URL as sent, or a path on `base`; version 2 sends both encodeURI()d, so they are decoded first. */
function resolve(value: string, base: string | null): string | null {
  const text = decoded(value, decodeURI);
  if (URL.canParse(text)) return text; // the validator judges its scheme and host
  if (base === null || !text.startsWith('/')) return null;
  // A path stays on its base: "//host/x", and "/\host/x" or "/<tab>/host/x" (which the parser reads
  // as "//host/x"), are another host's URL.
  const url = URL.parse(text, base);
  return url !== null && url.host === URL.parse(base)?.host ? url.href : null;
}

/** The URL `page` is on `hostname` (the port aside; an IDN hostname matches its punycode). */
function onHost(page: string, hostname: string): boolean {
  const host = URL.parse(page)?.hostname;
  return host === hostname || host === domainToASCII(hostname);
}

/** `decode(s)`, or `s` as it is when it is no valid escape sequence ("100% off"). */
function decoded(s: string, decode: (s: string) => string): string {
  try {
    return decode(s);
  } catch {
    return s;
  }
}
