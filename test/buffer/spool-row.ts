import type { PageviewRow } from '../../src/sinks/sink.js';

/** A row numbered `n` (in its beacon id, url and server time), as the spool tests store them. */
export function spoolRow(n: number): PageviewRow {
  const id = Buffer.alloc(16);
  id.writeUInt32BE(n, 12);
  return {
    beaconId: id, url: `https://a.example/${n}`, hostname: 'a.example', type: 'pageview', eventName: null, userAgent: null, browser: null, os: null,
    device: null, isBot: false, viewportWidth: null, viewportHeight: null, referrer: null, clientTimestamp: new Date(Date.UTC(2026, 0, 1)),
    serverTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, n)), clientIp: null, sessionId: null, payload: '{"a":1}', userHash: 'abcdef0123456789',
    geoCountry: null, session: null, approxBytes: 300,
  };
}

/** The numbers of rows made by spoolRow. */
export const numbers = (rows: readonly PageviewRow[]): number[] => rows.map((r) => Number(r.url.split('/').pop()));
