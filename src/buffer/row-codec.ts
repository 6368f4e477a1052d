import { BEACON_TYPES } from '../pipeline/beacon-schema.js';
import { COLUMN_CHARS as W } from '../sinks/columns.js';
import type { PageviewRow, SessionSnapshot } from '../sinks/sink.js';

/** A row as one JSON line for the spool and the dead-letter file: bytes as hex, dates as epoch ms. */
export function encodeRow(r: PageviewRow): string {
  return JSON.stringify({
    ...r,
    beaconId: r.beaconId.toString('hex'),
    clientTimestamp: r.clientTimestamp?.getTime() ?? null,
    serverTimestamp: r.serverTimestamp.getTime(),
  });
}

/** A line that is not a row this service would have written: torn by a crash, or edited. */
export class BadRowError extends Error {
  constructor(readonly detail: string) {
    super(`not a spooled row: ${detail}`);
    this.name = 'BadRowError';
  }
}

/**
 * The inverse of encodeRow. Every field is checked against the row's shape and its column (type,
 * width in characters, range) before the row may reach a sink or the session store: a line that
 * is valid JSON but not a valid row would otherwise stop the start (session warm-up) or be
 * refused by the database at every flush. Throws BadRowError.
 */
export function decodeRow(line: string): PageviewRow {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new BadRowError('not JSON');
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new BadRowError('not an object');
  const problem = rowProblem(o);
  if (problem !== null) throw new BadRowError(problem);
  return {
    ...(o as unknown as PageviewRow),
    beaconId: Buffer.from(o.beaconId as string, 'hex'),
    clientTimestamp: o.clientTimestamp === null ? null : new Date(o.clientTimestamp as number),
    serverTimestamp: new Date(o.serverTimestamp as number),
  };
}

const TYPES: ReadonlySet<unknown> = new Set(BEACON_TYPES);
const DEVICES: ReadonlySet<unknown> = new Set(['desktop', 'mobile', 'tablet', null]);
const HEX_ID = /^[0-9a-f]{32}$/;
const USER_HASH = /^[0-9a-f]{16}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const COUNTRY = /^[A-Z]{2}$/;
// DATETIME(3) holds years 1000-9999.
const MIN_TIME = Date.UTC(1000, 0, 1);
const MAX_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const UINT32 = 2 ** 32 - 1;

/** What is wrong with an encoded row, or null. */
function rowProblem(o: Record<string, unknown>): string | null {
  if (typeof o.beaconId !== 'string' || !HEX_ID.test(o.beaconId)) return 'beaconId';
  if (!text(o.url, W.url) || o.url === '') return 'url';
  if (!text(o.hostname, W.hostname) || o.hostname === '') return 'hostname';
  if (!TYPES.has(o.type)) return 'type';
  if (!textOrNull(o.eventName, W.eventName)) return 'eventName';
  if (!textOrNull(o.userAgent, W.userAgent)) return 'userAgent';
  if (!textOrNull(o.browser, W.browser)) return 'browser';
  if (!textOrNull(o.os, W.os)) return 'os';
  if (!DEVICES.has(o.device)) return 'device';
  if (typeof o.isBot !== 'boolean') return 'isBot';
  if (!(o.viewportWidth === null || integer(o.viewportWidth, 0, 65_535))) return 'viewportWidth';
  if (!(o.viewportHeight === null || integer(o.viewportHeight, 0, 65_535))) return 'viewportHeight';
  if (!textOrNull(o.referrer, W.referrer)) return 'referrer';
  if (!(o.clientTimestamp === null || time(o.clientTimestamp))) return 'clientTimestamp';
  if (!time(o.serverTimestamp)) return 'serverTimestamp';
  if (!textOrNull(o.clientIp, W.clientIp)) return 'clientIp';
  if (!(o.sessionId === null || (typeof o.sessionId === 'string' && UUID.test(o.sessionId)))) return 'sessionId';
  if (!(o.payload === null || json(o.payload))) return 'payload';
  if (typeof o.userHash !== 'string' || !USER_HASH.test(o.userHash)) return 'userHash';
  if (!(o.geoCountry === null || (typeof o.geoCountry === 'string' && COUNTRY.test(o.geoCountry)))) return 'geoCountry';
  if (!integer(o.approxBytes, 0, Number.MAX_SAFE_INTEGER)) return 'approxBytes';
  if (o.session !== null) {
    const p = sessionProblem(o.session);
    if (p !== null) return `session.${p}`;
  }
  return null;
}

/**
 * What is wrong with a session snapshot (encoded as in a row: times as epoch ms), or null. Also
 * for sessions read back from elsewhere (Redis): one this check refuses must not reach a row, or
 * the database refuses it with every beacon and the spool cannot read the row back.
 */
export function sessionProblem(s: unknown): string | null {
  if (typeof s !== 'object' || s === null) return 'not an object';
  const o = s as Record<keyof SessionSnapshot, unknown>;
  const st = o.start as Record<string, unknown> | null;
  if (typeof st !== 'object' || st === null) return 'start';
  if (typeof st.id !== 'string' || !UUID.test(st.id)) return 'start.id';
  if (!text(st.hostname, W.hostname)) return 'start.hostname';
  if (!time(st.startedAt)) return 'start.startedAt';
  if (!text(st.entryUrl, W.url)) return 'start.entryUrl';
  if (!textOrNull(st.entryReferrer, W.referrer)) return 'start.entryReferrer';
  for (const k of ['utmSource', 'utmMedium', 'utmCampaign', 'utmTerm', 'utmContent']) if (!textOrNull(st[k], W.utm)) return `start.${k}`;
  if (typeof o.userHash !== 'string' || !USER_HASH.test(o.userHash)) return 'userHash';
  if (!time(o.lastSeenAt)) return 'lastSeenAt';
  if (!integer(o.pageviews, 0, UINT32)) return 'pageviews';
  if (!integer(o.events, 0, UINT32)) return 'events';
  if (!textOrNull(o.exitUrl, W.url)) return 'exitUrl';
  return null;
}

/** A string of at most `max` code points (UTF-16 length first: it is an upper bound of the count). */
function text(v: unknown, max: number): v is string {
  if (typeof v !== 'string') return false;
  if (v.length <= max) return true;
  let n = 0;
  for (const _ of v) if (++n > max) return false;
  return true;
}

function textOrNull(v: unknown, max: number): boolean {
  return v === null || text(v, max);
}

function integer(v: unknown, min: number, max: number): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

function time(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= MIN_TIME && v <= MAX_TIME;
}

function json(v: unknown): boolean {
  if (typeof v !== 'string') return false;
  try {
    JSON.parse(v);
    return true;
  } catch {
    return false;
  }
}
