import { COLUMN_CHARS as COLUMN } from '../sinks/columns.js';
import { MAX_PAYLOAD_BYTES, MAX_PAYLOAD_DEPTH } from './beacon-schema.js';
import type { QueryStripper } from './query-strip.js';
import { cut, sanitizePayload, serializeUrl, stripMarkup } from './sanitize.js';
import type { Valid } from './validate-beacon.js';

// A web host after the URL parser's IDNA step (so already lower-case and punycode): labels of
// letters, digits, "-" and "_" (browsers resolve names such as _dmarc.example), 1-63 each, at most
// 253 in all with an optional trailing dot, which is also the hostname column's width. Dotted IPv4
// matches too (the parser has already rewritten 0x7f.1 as 127.0.0.1). The parser lets through
// quotes, backticks, braces, "=" and more in a host: those would reach the url, hostname and
// referrer columns raw and break out of an HTML attribute built from them.
const WEB_HOST = /^(?=.{1,253}$)[a-z0-9_-]{1,63}(?:\.[a-z0-9_-]{1,63})*\.?$/;
// IPv6 as the parser serialises it: bracketed, compressed, lower-case hex.
const IPV6_HOST = /^\[[0-9a-f:]{2,39}\]$/;
// An android-app: referrer's host is an application id (a Java package name); the parser keeps a
// non-special scheme's host as sent, case included.
const APP_HOST = /^(?=.{1,253}$)[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*$/;

/** A beacon's strings as they will be stored, each within its column. */
export interface StoredBeacon {
  ok: true;
  /** The page, parsed, with userinfo and URL_QUERY_STRIP parameters removed (UTM parameters are read from it). */
  page: URL;
  url: string;
  hostname: string;
  referrer: string | null;
  eventName: string | null;
  payload: string | null;
  /** Optional fields stored NULL: the validator's, then those that cannot be stored as sent. */
  nulled: string[];
}
export type Unstorable = { ok: false; detail: string };

/**
 * Sanitises a valid beacon and checks every limit on the value as stored: after userinfo and query
 * parameters are removed and the URL is serialised and encoded, never on the input, so a row that
 * passes here is one the database takes (a refused row would be dead-lettered, and a refused
 * session would take every later beacon of its visitor with it). A URL is never cut: a cut one
 * could end in half an escape, or be another page. A `url` that cannot be stored makes the beacon
 * Unstorable; a `referrer` that cannot is stored NULL.
 */
export function storedBeacon(v: Valid, strip: QueryStripper): StoredBeacon | Unstorable {
  const page = v.url;
  const hostname = page.hostname;
  if (!WEB_HOST.test(hostname) && !IPV6_HOST.test(hostname)) {
    return { ok: false, detail: 'url: the host is not a host name (letters, digits, - and _ between dots, or an IP address)' };
  }
  const url = storedHref(page, strip);
  if (url.length > COLUMN.url) return { ok: false, detail: `url: ${url.length} characters once encoded, over ${COLUMN.url}` };

  const nulled = v.nulled;
  let referrer: string | null = null;
  if (v.referrer !== null) {
    referrer = storableHost(v.referrer) ? storedHref(v.referrer, strip) : null;
    if (referrer !== null && referrer.length > COLUMN.referrer) referrer = null;
    if (referrer === null) nulled.push('referrer');
  }
  const b = v.beacon;
  let payload: string | null = null;
  if (b.payload !== undefined) {
    payload = sanitizePayload(b.payload, MAX_PAYLOAD_DEPTH, MAX_PAYLOAD_BYTES);
    if (payload === null) nulled.push('payload');
  }
  // Not a URL: text, which may be cut (by code points, as the column counts).
  const eventName = b.name ? cut(stripMarkup(b.name), COLUMN.eventName) || null : null;
  return { ok: true, page, url, hostname, referrer, eventName, payload, nulled };
}

function storableHost(url: URL): boolean {
  const host = url.hostname;
  return url.protocol === 'android-app:' ? APP_HOST.test(host) : WEB_HOST.test(host) || IPV6_HOST.test(host);
}

/** The URL as stored: no userinfo (credentials in a link are somebody's secret), no listed parameters, serialised. */
function storedHref(url: URL, strip: QueryStripper): string {
  if (url.username !== '' || url.password !== '') {
    url.username = '';
    url.password = '';
  }
  return serializeUrl(strip.strip(url)); // WHATWG output holds no control characters
}
