import type { PageviewRow } from '../../src/sinks/sink.js';

/** A stored row numbered `n` (in its beacon id, url and server time), for sink and writer tests. */
export function row(n: number, over: Partial<PageviewRow> = {}): PageviewRow {
  const id = Buffer.alloc(16);
  id.writeUInt32BE(n, 12);
  return {
    beaconId: id, url: `https://a.example/${n}`, hostname: 'a.example', type: 'pageview', eventName: null, userAgent: null, browser: null, os: null, device: null, isBot: false,
    viewportWidth: null, viewportHeight: null, referrer: null, clientTimestamp: null, serverTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, n)),
    clientIp: null, sessionId: null, payload: null, userHash: 'abcdef0123456789', geoCountry: null, session: null, approxBytes: 300, ...over,
  };
}
