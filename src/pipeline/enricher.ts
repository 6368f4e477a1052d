import type { IpStorage } from '../config.js';
import { storedIp } from './client-ip.js';
import type { TrustFn } from './proxy-trust.js';
import type { RequestContext } from './request-context.js';
import type { Admission } from './request-gate.js';
import { DAY_MS, utcDay, type SaltStore } from './salt-store.js';
import type { Agent } from './user-agent.js';
import { VisitorHashCache } from './visitor-hash-cache.js';

export interface EnricherOptions {
  ipStorage: IpStorage;
  hashSecret: string;
  clock: () => number;
  salts: SaltStore;
  /** How long after UTC midnight a session begun under yesterday's salt may still be active. */
  sessionTimeoutMs: number;
  /** Country lookup, or null when GEOIP_DB=off. */
  geo: { country(ip: string): string | null } | null;
  /** TRUST_PROXY as a trust function (for CDN country headers). */
  trust: TrustFn;
}

const CDN_COUNTRY = /^[A-Z]{2}$/;

/**
 * What the server adds to every beacon of a request: the agent (as the gate judged it), time, the
 * client address as stored, the country and the visitor hash. Worked out once per request; only
 * the hash depends on the beacon (on its site), so its inputs are held here and the item loop
 * passes only the hostname.
 */
class Enrichment {
  readonly agent: Agent;
  readonly isBot: boolean;
  readonly openedMail: boolean;
  /** Server time, epoch ms. */
  readonly now: number;
  readonly serverTimestamp: Date;
  readonly clientIp: string | null;
  readonly geoCountry: string | null;
  readonly #hashes: VisitorHashCache;
  readonly #ip: string;
  readonly #ua: string;
  readonly #day: string;
  readonly #salt: Buffer;
  readonly #previousDay: string;
  readonly #previousSalt: Buffer | undefined;

  constructor(
    ctx: RequestContext, admission: Admission, now: number, clientIp: string | null, geoCountry: string | null,
    hashes: VisitorHashCache, day: string, salt: Buffer, previousDay: string, previousSalt: Buffer | undefined,
  ) {
    this.agent = admission.agent;
    this.isBot = admission.isBot;
    this.openedMail = admission.openedMail;
    this.now = now;
    this.serverTimestamp = new Date(now);
    this.clientIp = clientIp;
    this.geoCountry = geoCountry;
    this.#hashes = hashes;
    this.#ip = ctx.ip;
    this.#ua = ctx.userAgent ?? '';
    this.#day = day;
    this.#salt = salt;
    this.#previousDay = previousDay;
    this.#previousSalt = previousSalt;
  }

  /** The visitor hash on `hostname` under today's salt. */
  userHash(hostname: string): string {
    return this.#hashes.hash(this.#day, this.#salt, hostname, this.#ip, this.#ua);
  }

  /** The visitor hash under yesterday's salt, while a session begun before midnight may still be active; else null. */
  previousUserHash(hostname: string): string | null {
    if (this.#previousSalt === undefined) return null;
    return this.#hashes.hash(this.#previousDay, this.#previousSalt, hostname, this.#ip, this.#ua);
  }
}
export type { Enrichment };

/**
 * The enrich stage: turns an admitted request into its Enrichment. Synchronous unless the day's
 * salt is not held yet (the first beacon of a day on a cold instance), so the usual request costs
 * no extra await.
 */
export class Enricher {
  readonly #o: EnricherOptions;
  readonly #hashes: VisitorHashCache;
  #day = '';
  #dayStart = 0;

  constructor(options: EnricherOptions) {
    this.#o = options;
    this.#hashes = new VisitorHashCache(options.hashSecret);
  }

  enrich(ctx: RequestContext, admission: Admission): Enrichment | Promise<Enrichment> {
    const now = this.#o.clock();
    const day = this.#utcDay(now);
    const salt = this.#o.salts.peek(day);
    if (salt === undefined) return this.#o.salts.load(day).then((loaded) => this.#enrichment(ctx, admission, now, day, loaded));
    return this.#enrichment(ctx, admission, now, day, salt);
  }

  #enrichment(ctx: RequestContext, admission: Admission, now: number, day: string, salt: Buffer): Enrichment {
    // Just after UTC midnight a visitor's session may have begun under yesterday's salt: look it up there too.
    const previousDay = now % DAY_MS < this.#o.sessionTimeoutMs ? utcDay(now - DAY_MS) : '';
    const previousSalt = previousDay === '' ? undefined : this.#o.salts.peek(previousDay);
    // An email proxy's address says where the proxy is, not the reader.
    const geoCountry = admission.openedMail ? null : this.#country(ctx);
    const clientIp = storedIp(ctx.ip, this.#o.ipStorage);
    return new Enrichment(ctx, admission, now, clientIp, geoCountry, this.#hashes, day, salt, previousDay, previousSalt);
  }

  /** The UTC day of `now`, recomputed only when a day boundary is crossed. */
  #utcDay(now: number): string {
    if (now < this.#dayStart || now >= this.#dayStart + DAY_MS) {
      this.#dayStart = now - (now % DAY_MS);
      this.#day = utcDay(now);
    }
    return this.#day;
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
