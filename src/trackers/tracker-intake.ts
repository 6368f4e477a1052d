import { domainToASCII } from 'node:url';
import type { Collector, IngestEvents, IngestTrace, RequestContext } from '../pipeline/collector.js';
import { excerpt, type DecodeRejection } from '../pipeline/decode-body.js';

/**
 * Another tracker's request turned into our beacons (items for the collector, in our wire format)
 * and the site names it claims (Plausible's `domain`, Umami's `hostname`); or why it could not be.
 * `malformed`: the body is not the protocol's at all (its own server would answer 400), as opposed
 * to a message it sends that we choose not to store (Umami's `identify`).
 */
export type TrackerBeacons =
  | { ok: true; items: Record<string, unknown>[]; sites: string[] }
  | { ok: false; reason: DecodeRejection; excerpt: string; malformed: boolean };

/**
 * Feeds a tracker's beacons to the collector, after the one rule our own beacons do not have: the
 * site names the request claims must be ALLOWED_ORIGINS' hosts (compared without a leading "www.",
 * as Plausible compares domains), or the request is refused as `origin`. Everything else (origin
 * header, EXCLUDE_IPS, rate limit, DNT, bots, validation, the url host, sessions) is the collector's.
 */
export class TrackerIntake {
  readonly #collector: Collector;
  readonly #events: IngestEvents;
  readonly #sites: ReadonlySet<string> | null;

  constructor(collector: Collector, events: IngestEvents, allowedOrigins: null | '*' | readonly string[]) {
    this.#collector = collector;
    this.#events = events;
    this.#sites = Array.isArray(allowedOrigins) ? new Set(allowedOrigins.map((o) => bare(new URL(o).hostname))) : null;
  }

  /** True when every one of `sites` is an allowed host (always, without an ALLOWED_ORIGINS list). */
  allowsSites(sites: readonly string[]): boolean {
    if (this.#sites === null) return true;
    for (const site of sites) if (!this.#sites.has(bare(ascii(site.trim().toLowerCase())))) return false;
    return true;
  }

  /** `trace`: a dry run for the debug endpoint (counted nowhere, stored nowhere). */
  async ingest(t: TrackerBeacons, ctx: RequestContext, trace?: IngestTrace): Promise<void> {
    if (!t.ok) {
      await this.#collector.ingest({ ok: false, reason: t.reason, count: 1, excerpt: t.excerpt }, ctx, trace);
      return;
    }
    if (!this.allowsSites(t.sites)) {
      const events = trace ?? this.#events;
      events.received(t.items.length);
      events.rejected('origin', t.items.length, `site ${excerpt(t.sites.join(','))} not in ALLOWED_ORIGINS`);
      return;
    }
    await this.#collector.ingest({ ok: true, items: t.items }, ctx, trace);
  }
}

/** An IDN domain as written ("bücher.example") in punycode, as URL hostnames are; else as it is. */
function ascii(domain: string): string {
  return domainToASCII(domain) || domain;
}

function bare(host: string): string {
  return host.startsWith('www.') ? host.slice(4) : host;
}
