import fp from 'fastify-plugin';
import { BlockList } from 'node:net';
import type { SessionSnapshot } from '../sinks/sink.js';
import { Collector } from '../pipeline/collector.js';
import { compileTrust } from '../pipeline/proxy-trust.js';
import { RateLimiter } from '../pipeline/rate-limiter.js';
import { AgentParser } from '../pipeline/user-agent.js';
import { SaltStore } from '../pipeline/salt-store.js';

declare module 'fastify' {
  interface FastifyInstance {
    collector: Collector;
    salts: SaltStore;
  }
}

/** The per-beacon pipeline, built once from config: validators, allowlists and salts are ready before the first request. */
export default fp(
  async (app) => {
    const { config } = app;
    const salts = new SaltStore(app.sink, config.clock, (err) => app.log.error({ err }, 'salt rotation failed; retrying'));
    await salts.refresh();
    if (app.writer.spooled > 0) {
      // Spooled rows are newer than the sessions table: their snapshots must win, or the next
      // beacon of such a session would count from the table's older figures.
      const latest = new Map<string, SessionSnapshot>();
      for await (const row of app.writer.spooledRows()) {
        const s = row.session;
        if (s === null) continue;
        const held = latest.get(s.start.id);
        if (held === undefined || s.pageviews + s.events > held.pageviews + held.events) latest.set(s.start.id, s);
      }
      await app.sessions.warm([...latest.values()]);
    }
    app.decorate('salts', salts);
    app.decorate(
      'collector',
      new Collector({
        allowedOrigins: config.allowedOrigins,
        requireOrigin: config.requireOrigin,
        ipStorage: config.ipStorage,
        hashSecret: config.hashSecret,
        clock: config.clock,
        salts,
        sessions: app.sessions,
        sessionTimeoutMs: config.sessionTimeoutMs,
        geo: app.geoip,
        agents: new AgentParser(),
        keepBots: config.keepBots,
        respectDnt: config.respectDnt,
        excludeIps: blockList(config.excludeIps),
        queryStrip: app.queryStrip,
        trust: compileTrust(config.trustProxy),
        durable: config.bufferDurability === 'disk',
        rateLimiter: config.rateLimitPerMin === null ? null : new RateLimiter(config.rateLimitPerMin, config.clock, config.rateLimitIpv6Prefix),
        queue: app.writer,
        events: app.ingestEvents,
      }),
    );
    app.addHook('onReady', async () => salts.start());
    app.addHook('onClose', async () => salts.stop());
  },
  { name: 'pipeline', dependencies: ['config', 'metrics', 'geoip', 'sink', 'sessions', 'writer'] },
);

/** EXCLUDE_IPS as a BlockList (Node's own CIDR matcher), or null when unset. */
function blockList(entries: readonly string[]): BlockList | null {
  if (entries.length === 0) return null;
  const list = new BlockList();
  for (const entry of entries) {
    const [address, prefix] = entry.split('/') as [string, string | undefined];
    const type = address.includes(':') ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return list;
}
