import { isIPv6, type BlockList } from 'node:net';
import type { IpStorage } from '../config.js';
import type { PageviewRow } from '../sinks/sink.js';
import { newBeaconId } from './beacon-id.js';
import { storedIp } from './client-ip.js';
import type { Decoded } from './decode-body.js';
import { DAY_MS, utcDay, type SaltStore } from './salt-store.js';
import type { SessionAssignment, SessionStore } from './session-store.js';
import type { TrustFn } from './proxy-trust.js';
import type { QueryStripper } from './query-strip.js';
import type { RateLimiter } from './rate-limiter.js';
import { storedBeacon } from './stored-beacon.js';
import type { AgentParser } from './user-agent.js';
import { validateBeacon } from './validate-beacon.js';
import { VisitorHashCache } from './visitor-hash-cache.js';

export const REJECT_REASONS = [
  'invalid_json', 'invalid_schema', 'invalid_url', 'unsupported_type', 'too_large', 'origin', 'bot', 'dnt',
  'excluded_ip', 'rate_limited', 'overflow', 'error',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** What the collector reports; the metrics plugin turns it into counters and log lines. */
export interface IngestEvents {
  received(count: number): void;
  accepted(count: number): void;
  rejected(reason: RejectReason, count: number, detail: string): void;
  fieldDropped(field: string): void;
}

/** Where accepted rows go (the batch writer). */
export interface RowQueue {
  /** False when a row would be refused: checked before a beacon counts in its session. */
  hasRoom(): boolean;
  /** False means it had no room after all. */
  push(row: PageviewRow): boolean;
  /** Resolves once every pushed row is on disk (BUFFER_DURABILITY=disk). */
  waitDurable(): Promise<boolean>;
}

/** What the collector needs to know about the request, read once per request by the route. */
export interface RequestContext {
  /** The Origin header, if any. */
  origin: string | undefined;
  /** The client address (canonical, after TRUST_PROXY). */
  ip: string;
  /** The User-Agent header, if any. */
  userAgent: string | undefined;
  /** The socket peer's address: the hop whose trust decides whether CDN headers are believed. */
  peer: string;
  /** The CDN_COUNTRY_HEADER header, when that setting names one and the request carries it. */
  cdnCountry: string | undefined;
  /** `DNT: 1` or `Sec-GPC: 1` was sent. */
  doNotTrack: boolean;
  /**
   * The request came through the tracking pixel. There an email image proxy (Gmail, Yahoo)
   * fetching the image stands for a person opening a mail: counted, with no country (the
   * address is the proxy's). On POST such an agent is a bot like any other.
   */
  pixel?: boolean;
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

export interface CollectorOptions {
  allowedOrigins: null | '*' | readonly string[];
  requireOrigin: boolean;
  ipStorage: IpStorage;
  hashSecret: string;
  clock: () => number;
  salts: SaltStore;
  sessions: SessionStore;
  sessionTimeoutMs: number;
  /** Country lookup, or null when GEOIP_DB=off. */
  geo: { country(ip: string): string | null } | null;
  agents: AgentParser;
  keepBots: boolean;
  respectDnt: boolean;
  /** EXCLUDE_IPS, or null when unset. */
  excludeIps: BlockList | null;
  queryStrip: QueryStripper;
  /** TRUST_PROXY as a trust function (for CDN country headers). */
  trust: TrustFn;
  /** BUFFER_DURABILITY=disk: answer only once the request's rows are fsynced. */
  durable: boolean;
  /** RATE_LIMIT_PER_MIN, or null when unset. */
  rateLimiter: RateLimiter | null;
  queue: RowQueue;
  events: IngestEvents;
  /** A new beacon id (16 bytes) for a time; a UUIDv7 unless a test injects another. */
  newId?: (now: number) => Buffer;
}

const NO_SESSION: SessionAssignment = { sessionId: null, snapshot: null };
const CDN_COUNTRY = /^[A-Z]{2}$/;
const MAX_INTERNED_HOSTNAMES = 10_000;
// Fixed per-row overhead in a statement besides the long strings (ids, dates, numbers, quoting).
const ROW_OVERHEAD_BYTES = 256;

/**
 * The per-request pipeline: origin policy, then for each item validate ▶ sanitise ▶ enrich, and
 * hand the row to the queue. Knows nothing of HTTP; the route builds the RequestContext.
 */
export class Collector {
  readonly #o: CollectorOptions;
  readonly #origins: ReadonlySet<string> | null;
  readonly #hosts: ReadonlySet<string> | null;
  readonly #newId: (now: number) => Buffer;
  readonly #hashes: VisitorHashCache;
  #day = '';
  #dayStart = 0;
  // One string per site instead of one per beacon: rows and sessions held in memory share it.
  readonly #hostnames = new Map<string, string>();

  constructor(options: CollectorOptions) {
    this.#o = options;
    const list = Array.isArray(options.allowedOrigins) ? options.allowedOrigins : null;
    this.#origins = list ? new Set(list) : null;
    this.#hosts = list ? new Set(list.map((o) => new URL(o).host)) : null;
    this.#newId = options.newId ?? newBeaconId;
    this.#hashes = new VisitorHashCache(options.hashSecret);
  }

  #intern(hostname: string): string {
    const held = this.#hostnames.get(hostname);
    if (held !== undefined) return held;
    if (this.#hostnames.size >= MAX_INTERNED_HOSTNAMES) this.#hostnames.clear();
    const flat = Buffer.from(hostname, 'latin1').toString('latin1'); // hostnames are ASCII (punycode)
    this.#hostnames.set(flat, flat);
    return flat;
  }

  /** The UTC day of `now`, recomputed only when a day boundary is crossed. */
  #utcDay(now: number): string {
    if (now < this.#dayStart || now >= this.#dayStart + DAY_MS) {
      this.#dayStart = now - (now % DAY_MS);
      this.#day = utcDay(now);
    }
    return this.#day;
  }

  async ingest(decoded: Decoded, ctx: RequestContext, trace?: IngestTrace): Promise<void> {
    const events = trace ?? this.#o.events;
    if (!decoded.ok) {
      events.received(decoded.count);
      events.rejected(decoded.reason, decoded.count, decoded.excerpt);
      return;
    }
    if (decoded.items.length === 0) return;
    events.received(decoded.items.length);

    // sendBeacon with text/plain skips the preflight, so the origin is enforced here, not by CORS.
    if (ctx.origin === undefined ? this.#o.requireOrigin : this.#origins !== null && !this.#origins.has(ctx.origin)) {
      events.rejected('origin', decoded.items.length, `origin ${ctx.origin ?? '(none)'} not allowed`);
      return;
    }
    if (this.#o.excludeIps !== null && this.#o.excludeIps.check(ctx.ip, isIPv6(ctx.ip) ? 'ipv6' : 'ipv4')) {
      events.rejected('excluded_ip', decoded.items.length, 'address in EXCLUDE_IPS');
      return;
    }
    let items = decoded.items;
    if (this.#o.rateLimiter !== null && trace === undefined) {
      const allowed = this.#o.rateLimiter.take(ctx.ip, items.length);
      if (allowed < items.length) {
        events.rejected('rate_limited', items.length - allowed, 'over RATE_LIMIT_PER_MIN');
        if (allowed === 0) return;
        items = items.slice(0, allowed);
      }
    }
    if (this.#o.respectDnt && ctx.doNotTrack) {
      events.rejected('dnt', items.length, 'DNT or Sec-GPC');
      return;
    }
    const agent = this.#o.agents.parse(ctx.userAgent);
    // An email image proxy stands for a person only on the pixel; it never sends a POST beacon.
    const openedMail = ctx.pixel === true && agent.emailProxy;
    const isBot = openedMail ? false : agent.bot || agent.emailProxy;
    if (isBot && !this.#o.keepBots) {
      events.rejected('bot', items.length, `user agent ${agent.stored ?? '(none)'}`.slice(0, 120));
      return;
    }

    const now = this.#o.clock();
    const day = this.#utcDay(now);
    const salt = this.#o.salts.peek(day) ?? (await this.#o.salts.load(day));
    // Just after UTC midnight a visitor's session may have begun under yesterday's salt: look it up there too.
    const previousDay = now % DAY_MS < this.#o.sessionTimeoutMs ? utcDay(now - DAY_MS) : '';
    const previousSalt = previousDay === '' ? undefined : this.#o.salts.peek(previousDay);
    const uaForHash = ctx.userAgent ?? '';
    const serverTimestamp = new Date(now);
    const clientIp = storedIp(ctx.ip, this.#o.ipStorage);
    // An email proxy's address says where the proxy is, not the reader.
    const geoCountry = openedMail ? null : this.#country(ctx);

    let accepted = 0;
    for (let i = 0; i < items.length; i++) {
      if (trace !== undefined) trace.item = i;
      const v = validateBeacon(items[i], now);
      if (!v.ok) {
        events.rejected('invalid_schema', 1, v.detail);
        continue;
      }
      const s = storedBeacon(v, this.#o.queryStrip);
      if (!s.ok) {
        events.rejected('invalid_url', 1, s.detail);
        continue;
      }
      if (this.#hosts !== null && !this.#hosts.has(s.page.host)) {
        events.rejected('origin', 1, `url host ${s.page.host} not allowed`);
        continue;
      }
      if (!this.#o.queue.hasRoom()) {
        events.rejected('overflow', 1, 'buffer and spool full');
        continue;
      }
      for (const field of s.nulled) events.fieldDropped(field);
      const b = v.beacon;
      const { url, referrer, payload } = s;
      const hostname = this.#intern(s.hostname);
      const userHash = this.#hashes.hash(day, salt, hostname, ctx.ip, uaForHash);
      let session: SessionAssignment = NO_SESSION;
      // Kept bots are stored but never open or join a session: session figures stay human. Nor do
      // mail opens through a proxy: every reader behind it shares its address and agent, so one
      // "visitor" would collect everybody's opens into one session.
      if (!isBot && !openedMail && trace === undefined) {
        const assigned = this.#o.sessions.assign({
          key: userHash,
          previousKey: previousSalt === undefined ? null : this.#hashes.hash(previousDay, previousSalt, hostname, ctx.ip, uaForHash),
          hostname,
          type: b.type,
          url: s.page,
          href: url,
          referrer,
          now,
        });
        session = assigned instanceof Promise ? await assigned : assigned;
      }
      const row: PageviewRow = {
        beaconId: this.#newId(now),
        url,
        hostname,
        type: b.type,
        eventName: s.eventName,
        userAgent: agent.stored,
        browser: agent.browser,
        os: agent.os,
        device: agent.device,
        isBot,
        viewportWidth: b.viewportW ?? null,
        viewportHeight: b.viewportH ?? null,
        referrer,
        clientTimestamp: b.timestamp === undefined ? null : new Date(Math.round(b.timestamp)),
        serverTimestamp,
        clientIp,
        sessionId: session.sessionId,
        payload,
        userHash,
        geoCountry,
        session: session.snapshot,
        approxBytes: ROW_OVERHEAD_BYTES + url.length + (referrer?.length ?? 0) + (agent.stored?.length ?? 0) + (payload?.length ?? 0),
      };
      if (trace !== undefined) {
        trace.row(row);
        accepted++;
      } else if (this.#o.queue.push(row)) accepted++;
      else events.rejected('overflow', 1, 'buffer full');
    }
    if (accepted > 0) {
      events.accepted(accepted);
      if (this.#o.durable && trace === undefined) await this.#o.queue.waitDurable();
    }
  }

  /** A CDN's country header when the hop that sent it is a trusted proxy, else the GeoIP lookup. */
  #country(ctx: RequestContext): string | null {
    if (ctx.cdnCountry !== undefined && this.#o.trust(ctx.peer, 0)) {
      const code = ctx.cdnCountry.trim().toUpperCase();
      // XX: unknown, T1: Tor (Cloudflare); neither is a country.
      if (CDN_COUNTRY.test(code) && code !== 'XX' && code !== 'T1') return code;
    }
    return this.#o.geo === null ? null : this.#o.geo.country(ctx.ip);
  }
}
