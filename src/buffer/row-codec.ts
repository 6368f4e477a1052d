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

/** The inverse of encodeRow; throws on a line that is not one (a torn write after a crash). */
export function decodeRow(line: string): PageviewRow {
  const o = JSON.parse(line) as Omit<PageviewRow, 'beaconId' | 'clientTimestamp' | 'serverTimestamp'> & {
    beaconId: string;
    clientTimestamp: number | null;
    serverTimestamp: number;
    session: SessionSnapshot | null;
  };
  if (typeof o.beaconId !== 'string' || o.beaconId.length !== 32 || typeof o.url !== 'string') {
    throw new Error('not a spooled row');
  }
  return {
    ...o,
    beaconId: Buffer.from(o.beaconId, 'hex'),
    clientTimestamp: o.clientTimestamp === null ? null : new Date(o.clientTimestamp),
    serverTimestamp: new Date(o.serverTimestamp),
  };
}
