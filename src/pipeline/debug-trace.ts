import type { PageviewRow } from '../sinks/sink.js';
import { MAX_BATCH } from './beacon-schema.js';
import type { IngestTrace, RejectReason } from './collector.js';

/** The debug endpoint's verdict on one item of the request. */
export type Verdict =
  | { index: number; accepted: true; fieldsStoredNull: string[]; row?: Record<string, unknown> }
  | { index: number; accepted: false; reason: RejectReason; detail: string; fieldsStoredNull: string[] };

export interface DebugReport {
  received: number;
  accepted: number;
  rejected: number;
  /** Accepted beacons whose row is not shown (only the first SHOWN_ROWS are). */
  rowsOmitted: number;
  beacons: Verdict[];
}

// The answer stays within about twice the request or 16 KiB, whichever is more: a row repeats the
// User-Agent header and fixed fields (a 30-byte beacon made a 600-byte row, so a batch of small
// beacons answered ~29x its size), and a request-wide rejection repeats its detail (the Origin
// header, up to 16 KB) for every item. Five rows and short details still explain a batch.
const SHOWN_ROWS = 5;
const DETAIL_CHARS = 120;

/**
 * Collects a dry run's verdicts (see IngestTrace). A rejection before the items are looked at one
 * by one (origin, bot, DNT, an unreadable body) applies to every item without a verdict yet.
 */
export class DebugTrace implements IngestTrace {
  item = -1;
  readonly #count: number;
  readonly #verdicts: (Verdict | undefined)[];
  readonly #nulled = new Map<number, string[]>();
  #shown = 0;

  /** `count` beacons received; at most MAX_BATCH verdicts are kept (a refused batch of 30,000 is one reason, not 30,000). */
  constructor(count: number) {
    this.#count = count;
    this.#verdicts = new Array<Verdict | undefined>(Math.min(count, MAX_BATCH)).fill(undefined);
  }

  received(): void {}
  accepted(): void {}

  rejected(reason: RejectReason, _count: number, fullDetail: string): void {
    const detail = fullDetail.length > DETAIL_CHARS ? `${fullDetail.slice(0, DETAIL_CHARS)}…` : fullDetail;
    const from = this.item === -1 ? 0 : this.item;
    const to = this.item === -1 ? this.#verdicts.length : this.item + 1;
    for (let i = from; i < to; i++) {
      if (this.#verdicts[i] !== undefined) continue;
      this.#verdicts[i] = { index: i, accepted: false, reason, detail, fieldsStoredNull: this.#nulled.get(i) ?? [] };
    }
  }

  fieldDropped(field: string): void {
    const list = this.#nulled.get(this.item) ?? [];
    list.push(field);
    this.#nulled.set(this.item, list);
  }

  row(row: PageviewRow): void {
    const fieldsStoredNull = this.#nulled.get(this.item) ?? [];
    this.#verdicts[this.item] =
      this.#shown < SHOWN_ROWS
        ? { index: this.item, accepted: true, fieldsStoredNull, row: describeRow(row) }
        : { index: this.item, accepted: true, fieldsStoredNull };
    this.#shown++;
  }

  report(): DebugReport {
    const beacons = this.#verdicts.map(
      (v, index): Verdict => v ?? { index, accepted: false, reason: 'error', detail: 'no verdict', fieldsStoredNull: [] },
    );
    const accepted = beacons.filter((b) => b.accepted).length;
    return { received: this.#count, accepted, rejected: this.#count - accepted, rowsOmitted: Math.max(0, this.#shown - SHOWN_ROWS), beacons };
  }
}

/** The row as the `pageviews` columns would hold it; the id and session are given when it is stored. */
function describeRow(row: PageviewRow): Record<string, unknown> {
  return {
    url: row.url,
    hostname: row.hostname,
    type: row.type,
    event_name: row.eventName,
    user_agent: row.userAgent,
    browser: row.browser,
    os: row.os,
    device: row.device,
    is_bot: row.isBot,
    viewport_width: row.viewportWidth,
    viewport_height: row.viewportHeight,
    referrer: row.referrer,
    client_timestamp: row.clientTimestamp?.toISOString() ?? null,
    server_timestamp: row.serverTimestamp.toISOString(),
    client_ip: row.clientIp,
    user_hash: row.userHash,
    geo_country: row.geoCountry,
    payload: row.payload === null ? null : (JSON.parse(row.payload) as unknown),
    session_id: 'assigned when stored',
  };
}
