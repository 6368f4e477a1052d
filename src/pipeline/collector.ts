import type { PageviewRow } from '../sinks/sink.js';
import { newBeaconId } from './beacon-id.js';
import { buildRow } from './build-row.js';
import type { Decoded } from './decode-body.js';
import { Enricher, type EnricherOptions } from './enricher.js';
import type { IngestEvents } from './ingest-events.js';
import type { QueryStripper } from './query-strip.js';
import type { RequestContext } from './request-context.js';
import { RequestGate, type RequestGateOptions } from './request-gate.js';
import type { SessionStore } from './session-store.js';
import { sessionise } from './sessionise.js';
import { storedBeacon } from './stored-beacon.js';
import { validateBeacon } from './validate-beacon.js';

// Their home is with the stages; routes, plugins and the debug trace import them from here.
export { REJECT_REASONS, type IngestEvents, type RejectReason } from './ingest-events.js';
export type { RequestContext } from './request-context.js';

/** Where accepted rows go (the batch writer). */
export interface RowQueue {
  /** False when a row would be refused: checked before a beacon counts in its session. */
  hasRoom(): boolean;
  /** False means it had no room after all. */
  push(row: PageviewRow): boolean;
  /** Resolves once every pushed row is on disk (BUFFER_DURABILITY=disk). */
  waitDurable(): Promise<boolean>;
}

/**
 * What the debug endpoint learns from a dry run: the verdict on each item, and the row an
 * accepted one would have become. A dry run counts nothing, takes no rate-limit budget, opens
 * or extends no session and stores nothing.
 */
export interface IngestTrace extends IngestEvents {
  /** The item now being looked at (index in the batch); -1 before the items are looked at one by one. */
  item: number;
  row(row: PageviewRow): void;
}

export interface CollectorOptions extends RequestGateOptions, EnricherOptions {
  sessions: SessionStore;
  queryStrip: QueryStripper;
  /** BUFFER_DURABILITY=disk: answer only once the request's rows are fsynced. */
  durable: boolean;
  queue: RowQueue;
  events: IngestEvents;
  /** A new beacon id (16 bytes) for a time; a UUIDv7 unless a test injects another. */
  newId?: (now: number) => Buffer;
}

const MAX_INTERNED_HOSTNAMES = 10_000;

/**
 * The per-request pipeline: the request gate and enrichment once per request, then for each
 * item validate ▶ sanitise ▶ sessionise ▶ row, and the row to the queue. Knows nothing of HTTP;
 * the route decodes the body and builds the RequestContext.
 */
export class Collector {
  readonly #gate: RequestGate;
  readonly #enricher: Enricher;
  readonly #sessions: SessionStore;
  readonly #queryStrip: QueryStripper;
  readonly #durable: boolean;
  readonly #queue: RowQueue;
  readonly #events: IngestEvents;
  readonly #newId: (now: number) => Buffer;
  // One string per site instead of one per beacon: rows and sessions held in memory share it.
  readonly #hostnames = new Map<string, string>();

  constructor(options: CollectorOptions) {
    this.#gate = new RequestGate(options);
    this.#enricher = new Enricher(options);
    this.#sessions = options.sessions;
    this.#queryStrip = options.queryStrip;
    this.#durable = options.durable;
    this.#queue = options.queue;
    this.#events = options.events;
    this.#newId = options.newId ?? newBeaconId;
  }

  async ingest(decoded: Decoded, ctx: RequestContext, trace?: IngestTrace): Promise<void> {
    const events = trace ?? this.#events;
    if (!decoded.ok) {
      events.received(decoded.count);
      events.rejected(decoded.reason, decoded.count, decoded.excerpt);
      return;
    }
    const items = decoded.items;
    if (items.length === 0) return;
    events.received(items.length);
    const dryRun = trace !== undefined;

    const admission = this.#gate.admit(items.length, ctx, events, dryRun);
    if (admission === null) return;
    const enriching = this.#enricher.enrich(ctx, admission);
    const e = enriching instanceof Promise ? await enriching : enriching;

    let accepted = 0;
    for (let i = 0; i < admission.count; i++) {
      if (trace !== undefined) trace.item = i;
      const v = validateBeacon(items[i], e.now);
      if (!v.ok) {
        events.rejected('invalid_schema', 1, v.detail);
        continue;
      }
      const s = storedBeacon(v, this.#queryStrip);
      if (!s.ok) {
        events.rejected('invalid_url', 1, s.detail);
        continue;
      }
      if (!this.#gate.allowsHost(s.page.host)) {
        events.rejected('origin', 1, `url host ${s.page.host} not allowed`);
        continue;
      }
      if (!this.#queue.hasRoom()) {
        events.rejected('overflow', 1, 'buffer and spool full');
        continue;
      }
      for (const field of s.nulled) events.fieldDropped(field);
      s.hostname = this.#intern(s.hostname);
      const userHash = e.userHash(s.hostname);
      const assigning = sessionise(this.#sessions, v.beacon.type, s, userHash, e, dryRun);
      const session = assigning instanceof Promise ? await assigning : assigning;
      const row = buildRow(this.#newId(e.now), v.beacon, s, userHash, session, e);
      if (trace !== undefined) {
        trace.row(row);
        accepted++;
      } else if (this.#queue.push(row)) accepted++;
      else events.rejected('overflow', 1, 'buffer full');
    }
    if (accepted > 0) {
      events.accepted(accepted);
      if (this.#durable && !dryRun) await this.#queue.waitDurable();
    }
  }

  #intern(hostname: string): string {
    const held = this.#hostnames.get(hostname);
    if (held !== undefined) return held;
    if (this.#hostnames.size >= MAX_INTERNED_HOSTNAMES) this.#hostnames.clear();
    const flat = Buffer.from(hostname, 'latin1').toString('latin1'); // hostnames are ASCII (punycode)
    this.#hostnames.set(flat, flat);
    return flat;
  }
}
