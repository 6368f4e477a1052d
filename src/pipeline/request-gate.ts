import { isIPv6, type BlockList } from 'node:net';
import type { IngestEvents } from './ingest-events.js';
import type { RateLimiter } from './rate-limiter.js';
import type { RequestContext } from './request-context.js';
import type { Agent, AgentParser } from './user-agent.js';

export interface RequestGateOptions {
  allowedOrigins: null | '*' | readonly string[];
  requireOrigin: boolean;
  /** EXCLUDE_IPS, or null when unset. */
  excludeIps: BlockList | null;
  /** RATE_LIMIT_PER_MIN, or null when unset. */
  rateLimiter: RateLimiter | null;
  respectDnt: boolean;
  keepBots: boolean;
  agents: AgentParser;
}

/** The beacons of a request that go on, and who sent them. */
export interface Admission {
  /** How many of the request's beacons go on: the first ones (the rest were over the rate limit). */
  count: number;
  agent: Agent;
  /** Stored only with KEEP_BOTS; flagged, and never in a session. */
  isBot: boolean;
  /** A mail provider fetched the pixel for a person who opened a mail. */
  openedMail: boolean;
}

/**
 * The rules that judge a request as a whole, before any beacon in it is read: origin policy,
 * EXCLUDE_IPS, RATE_LIMIT_PER_MIN, DNT and bots, in that order (the first that refuses names the
 * reason). The cheap checks come first, so a refused flood costs no User-Agent parse.
 */
export class RequestGate {
  readonly #origins: ReadonlySet<string> | null;
  readonly #hosts: ReadonlySet<string> | null;
  readonly #requireOrigin: boolean;
  readonly #excludeIps: BlockList | null;
  readonly #rateLimiter: RateLimiter | null;
  readonly #respectDnt: boolean;
  readonly #keepBots: boolean;
  readonly #agents: AgentParser;

  constructor(options: RequestGateOptions) {
    const list = Array.isArray(options.allowedOrigins) ? options.allowedOrigins : null;
    this.#origins = list ? new Set(list) : null;
    this.#hosts = list ? new Set(list.map((o) => new URL(o).host)) : null;
    this.#requireOrigin = options.requireOrigin;
    this.#excludeIps = options.excludeIps;
    this.#rateLimiter = options.rateLimiter;
    this.#respectDnt = options.respectDnt;
    this.#keepBots = options.keepBots;
    this.#agents = options.agents;
  }

  /**
   * Which of the request's `count` beacons go on, or null when none does; each refusal is reported
   * to `events`. A dry run (the debug endpoint) takes no rate-limit budget.
   */
  admit(count: number, ctx: RequestContext, events: IngestEvents, dryRun: boolean): Admission | null {
    // sendBeacon with text/plain skips the preflight, so the origin is enforced here, not by CORS.
    if (ctx.origin === undefined ? this.#requireOrigin : this.#origins !== null && !this.#origins.has(ctx.origin)) {
      events.rejected('origin', count, `origin ${ctx.origin === undefined ? '(none)' : ctx.origin.slice(0, 120)} not allowed`);
      return null;
    }
    if (this.#excludeIps !== null && this.#excludeIps.check(ctx.ip, isIPv6(ctx.ip) ? 'ipv6' : 'ipv4')) {
      events.rejected('excluded_ip', count, 'address in EXCLUDE_IPS');
      return null;
    }
    if (this.#rateLimiter !== null && !dryRun) {
      const allowed = this.#rateLimiter.take(ctx.ip, count);
      if (allowed < count) {
        events.rejected('rate_limited', count - allowed, 'over RATE_LIMIT_PER_MIN');
        if (allowed === 0) return null;
        count = allowed;
      }
    }
    if (this.#respectDnt && ctx.doNotTrack) {
      events.rejected('dnt', count, 'DNT or Sec-GPC');
      return null;
    }
    const agent = this.#agents.parse(ctx.userAgent);
    // An email image proxy stands for a person only on the pixel; it never sends a POST beacon.
    const openedMail = ctx.pixel === true && agent.emailProxy;
    const isBot = openedMail ? false : agent.bot || agent.emailProxy;
    if (isBot && !this.#keepBots) {
      events.rejected('bot', count, `user agent ${agent.stored ?? '(none)'}`.slice(0, 120));
      return null;
    }
    return { count, agent, isBot, openedMail };
  }

  /** The origin policy for a beacon's page: with ALLOWED_ORIGINS listed, its host must be one of theirs. */
  allowsHost(host: string): boolean {
    return this.#hosts === null || this.#hosts.has(host);
  }
}
