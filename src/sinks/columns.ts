// The columns both stores write, in one order, and the rows' values in that order. Each store
// passes how it writes a time: mysql2 takes a Date (DATETIME(3), UTC), SQLite ISO-8601 text.
import type { PageviewRow, SessionSnapshot } from './sink.js';

export const PAGEVIEW_COLUMNS = [
  'beacon_id', 'url', 'hostname', 'type', 'event_name', 'user_agent', 'browser', 'os', 'device', 'is_bot', 'viewport_width',
  'viewport_height', 'referrer', 'client_timestamp', 'server_timestamp', 'client_ip', 'session_id',
  'payload', 'user_hash', 'geo_country',
] as const;

export const SESSION_COLUMNS = [
  'session_id', 'hostname', 'user_hash', 'started_at', 'last_seen_at', 'entry_url', 'entry_referrer', 'utm_source',
  'utm_medium', 'utm_campaign', 'utm_term', 'utm_content', 'pageviews', 'events', 'exit_url',
] as const;

export type TimeValue = (ms: number) => unknown;

export function pageviewValues(r: PageviewRow, time: TimeValue): unknown[] {
  return [
    r.beaconId, r.url, r.hostname, r.type, r.eventName, r.userAgent, r.browser, r.os, r.device, r.isBot ? 1 : 0,
    r.viewportWidth, r.viewportHeight, r.referrer, r.clientTimestamp === null ? null : time(r.clientTimestamp.getTime()),
    time(r.serverTimestamp.getTime()), r.clientIp, r.sessionId, r.payload, r.userHash, r.geoCountry,
  ];
}

export function sessionValues(s: SessionSnapshot, time: TimeValue): unknown[] {
  const st = s.start;
  return [
    st.id, st.hostname, s.userHash, time(st.startedAt), time(s.lastSeenAt), st.entryUrl, st.entryReferrer,
    st.utmSource, st.utmMedium, st.utmCampaign, st.utmTerm, st.utmContent, s.pageviews, s.events, s.exitUrl,
  ];
}

/** A sessions row read back (SESSION_COLUMNS), `ms` turning the store's time value into epoch ms. */
export function snapshotFromRow(r: Record<string, unknown>, ms: (value: unknown) => number): SessionSnapshot {
  const text = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return {
    start: {
      id: String(r.session_id),
      hostname: String(r.hostname),
      startedAt: ms(r.started_at),
      entryUrl: String(r.entry_url),
      entryReferrer: text(r.entry_referrer),
      utmSource: text(r.utm_source),
      utmMedium: text(r.utm_medium),
      utmCampaign: text(r.utm_campaign),
      utmTerm: text(r.utm_term),
      utmContent: text(r.utm_content),
    },
    userHash: String(r.user_hash),
    lastSeenAt: ms(r.last_seen_at),
    pageviews: Number(r.pageviews),
    events: Number(r.events),
    exitUrl: text(r.exit_url),
  };
}

/** Widths of the text columns in characters (code points), as the migrations declare them. */
export const COLUMN_CHARS = {
  url: 2048, hostname: 253, eventName: 64, userAgent: 512, browser: 64, os: 64, referrer: 2048, clientIp: 45, utm: 255,
} as const;
