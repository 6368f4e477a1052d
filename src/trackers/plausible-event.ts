// Plausible's Events API (POST /api/event), as its tracker (@plausible-analytics/tracker) and its
// server-side users send it: mapped field by field in docs/trackers.md.
import { excerpt } from '../pipeline/decode-body.js';
import { isObject, parseJson } from './json-body.js';
import type { TrackerBeacons } from './tracker-intake.js';

// Plausible's own limits on props (docs: 30 props, keys 300 bytes, values 2000 bytes).
const MAX_PROPS = 30;
const MAX_PROP_KEY_BYTES = 300;
const MAX_PROP_VALUE_BYTES = 2000;
// Engagement time past 30 days is an old tracker's junk, as Plausible itself decides.
const MAX_ENGAGEMENT_MS = 30 * 86_400_000;
const CURRENCY = /^[A-Z]{3}$/;
const DECIMAL = /^-?\d{1,15}(\.\d{1,6})?$/;

/** The first of `keys` that the body has (not null), as Plausible reads its short and long names. */
function field(body: Record<string, unknown>, ...keys: string[]): unknown {
  for (const key of keys) if (Object.hasOwn(body, key) && body[key] !== null && body[key] !== undefined) return body[key];
  return undefined;
}

/**
 * One Plausible event as our beacon. The body is JSON whatever its Content-Type (the tracker sends
 * text/plain to skip the preflight; servers send application/json). `pageview` is a pageview,
 * `engagement` (scroll depth `sd`, engaged milliseconds `e`) a performance row, any other name an
 * event. Values our validator judges (url, referrer, name length) are left to it, so a broken one
 * is refused or stored NULL and counted exactly as for /collect.
 */
export function plausibleBeacon(raw: Buffer): TrackerBeacons {
  const body = parseJson(raw);
  if (body === undefined) return { ok: false, reason: 'invalid_json', excerpt: excerpt(raw.toString('utf8')), malformed: true };
  if (!isObject(body)) return { ok: false, reason: 'invalid_schema', excerpt: 'not a JSON object', malformed: true };

  let name = field(body, 'n', 'name');
  if (typeof name === 'number' && Number.isInteger(name)) name = String(name); // Plausible takes 404 as a name
  if (typeof name !== 'string' || name.trim() === '') return invalid('n (name): required, a string');
  const url = field(body, 'u', 'url');
  if (typeof url !== 'string') return invalid('u (url): required, a string');

  const hashRouting = field(body, 'h', 'hashMode') === 1;
  // Without hash routing the fragment is an anchor on the page, not a page (Plausible drops it too).
  const hash = url.indexOf('#');
  const item: Record<string, unknown> = { url: hashRouting || hash === -1 ? url : url.slice(0, hash) };
  const referrer = field(body, 'r', 'referrer');
  if (referrer !== undefined) item.referrer = referrer; // a non-string is stored NULL and counted

  const domain = field(body, 'd', 'domain');
  let sites: string[];
  if (typeof domain === 'string') {
    sites = domain.split(',').map((d) => d.trim());
    if (sites.some((d) => d === '')) return invalid('d (domain): blank');
  } else if (domain === undefined) {
    sites = []; // Plausible falls back to the url's host, which the collector checks anyway
  } else {
    return invalid('d (domain): a string'); // else it would claim no site, and skip the site check
  }

  if (name === 'engagement') {
    const sd = wholeNumber(body.sd);
    const e = wholeNumber(body.e);
    const payload: Record<string, number> = {};
    if (e !== undefined && e < MAX_ENGAGEMENT_MS) payload.engagementMs = e;
    if (sd !== undefined) payload.scrollDepth = Math.min(sd, 100);
    if (Object.keys(payload).length === 0) return invalid('engagement: needs a whole number sd or e');
    item.type = 'performance';
    item.payload = payload;
    return { ok: true, items: [item], sites };
  }

  item.type = name === 'pageview' ? 'pageview' : 'event';
  if (item.type === 'event') item.name = name;
  const payload = props(field(body, 'm', 'meta', 'p', 'props'));
  if (payload !== null) {
    const revenue = revenueOf(field(body, '$', 'revenue'));
    if (revenue !== null) payload.$revenue = revenue;
    if (field(body, 'i', 'interactive') === false) payload.$interactive = false;
    if (Object.keys(payload).length > 0) item.payload = payload;
  } else {
    item.payload = 'props over Plausible\'s limits'; // not an object: stored NULL, counted as a dropped field
  }
  return { ok: true, items: [item], sites };
}

function invalid(detail: string): TrackerBeacons {
  return { ok: false, reason: 'invalid_schema', excerpt: detail, malformed: true };
}

/** A whole number >= 0, from a number or a decimal string (the tracker sends numbers). */
function wholeNumber(v: unknown): number | undefined {
  const n = typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/**
 * Props as Plausible keeps them: an object (or its JSON text) whose scalar values become strings;
 * nested values and blank keys or values are left out, at most 30 are kept. Null when one breaks
 * Plausible's length limits (it refuses such an event; here only the props are lost).
 */
function props(raw: unknown): Record<string, unknown> | null {
  let value = raw;
  if (typeof raw === 'string') value = parseJson(Buffer.from(raw));
  const out: Record<string, unknown> = Object.create(null);
  if (!isObject(value)) return out;
  let count = 0;
  for (const key of Object.keys(value)) {
    const v = value[key];
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') continue;
    const s = String(v);
    if (key.trim() === '' || s.trim() === '') continue;
    if (Buffer.byteLength(key) > MAX_PROP_KEY_BYTES || Buffer.byteLength(s) > MAX_PROP_VALUE_BYTES) return null;
    out[key] = s;
    if (++count === MAX_PROPS) break;
  }
  return out;
}

/** `{amount, currency}` with a decimal amount and an ISO 4217 code, or null (Plausible ignores others). */
function revenueOf(raw: unknown): { amount: string; currency: string } | null {
  if (!isObject(raw)) return null;
  const amount = typeof raw.amount === 'number' && Number.isFinite(raw.amount) ? String(raw.amount) : raw.amount;
  const currency = raw.currency;
  if (typeof amount !== 'string' || !DECIMAL.test(amount) || typeof currency !== 'string' || !CURRENCY.test(currency)) return null;
  return { amount, currency };
}
