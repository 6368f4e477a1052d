import { TypeCompiler } from '@sinclair/typebox/compiler';
import {
  BeaconSchema,
  FIELD_ALIASES,
  MAX_CLIENT_AGE_MS,
  MAX_CLIENT_AHEAD_MS,
  REQUIRED_FIELDS,
  type Beacon,
} from './beacon-schema.js';
import { describeFieldError } from './field-error.js';

// Compiled once at import: the per-item check is a generated function, not a schema walk.
const checker = TypeCompiler.Compile(BeaconSchema);

export type Valid = {
  ok: true;
  beacon: Beacon;
  /** The parsed page URL (http or https). */
  url: URL;
  /** The parsed referrer, or null when there is none (or it broke its rule). */
  referrer: URL | null;
  /** Optional fields that broke their rule and are stored NULL. */
  nulled: string[];
};
export type Invalid = { ok: false; detail: string };

/** Maps aliases to canonical names (the canonical name wins) and drops unknown fields and nulls. */
export function normalizeBeacon(item: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key in item) {
    if (!Object.hasOwn(item, key)) continue;
    const name = FIELD_ALIASES.get(key);
    const value = item[key];
    if (name === undefined || value === null || value === undefined) continue;
    if (key !== name && Object.hasOwn(item, name) && item[name] != null) continue;
    out[name] = value;
  }
  if (out.type === undefined) out.type = 'pageview';
  return out;
}

/**
 * Checks one item against the field table. A broken `url` or `type` makes it Invalid; any other
 * broken field is removed and listed in `nulled`. `now` is the server clock (for timestamp bounds).
 */
export function validateBeacon(item: unknown, now: number): Valid | Invalid {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    return { ok: false, detail: 'item is not an object' };
  }
  const beacon = normalizeBeacon(item as Record<string, unknown>);
  const nulled: string[] = [];
  if (!checker.Check(beacon)) {
    for (const error of checker.Errors(beacon)) {
      const field = error.path.split('/')[1] ?? '';
      if (REQUIRED_FIELDS.has(field) || field === '') {
        return { ok: false, detail: describeFieldError(error) };
      }
      if (!nulled.includes(field)) nulled.push(field);
    }
    for (const field of nulled) delete beacon[field];
  }
  const b = beacon as Beacon;

  const url = parseHttpUrl(b.url);
  // Its host and its length as stored are checked by storedBeacon, on the value that is stored.
  if (url === null) return { ok: false, detail: 'url: not an http(s) URL' };

  let referrer: URL | null = null;
  if (b.referrer !== undefined && b.referrer !== '') {
    referrer = parseReferrer(b.referrer);
    if (referrer === null) {
      delete b.referrer;
      nulled.push('referrer');
    }
  }
  if (b.timestamp !== undefined && !(b.timestamp >= now - MAX_CLIENT_AGE_MS && b.timestamp <= now + MAX_CLIENT_AHEAD_MS)) {
    delete b.timestamp;
    nulled.push('timestamp');
  }
  return { ok: true, beacon: b, url, referrer, nulled };
}

function parseHttpUrl(s: string): URL | null {
  const url = URL.parse(s);
  return url !== null && (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '' ? url : null;
}

function parseReferrer(s: string): URL | null {
  const url = URL.parse(s);
  if (url === null) return null;
  // android-app://package/...: an opaque "android-app:<anything>" would be stored unescaped.
  const ok = (url.protocol === 'https:' || url.protocol === 'http:' || url.protocol === 'android-app:') && url.hostname !== '';
  return ok ? url : null;
}
