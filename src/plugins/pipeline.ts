import { join } from 'node:path';
import fp from 'fastify-plugin';
import { latestSessionsOf } from '../buffer/latest-sessions.js';
import { Collector } from '../pipeline/collector.js';
import { excludeIps } from '../pipeline/exclude-ips.js';
import { compileTrust } from '../pipeline/proxy-trust.js';
import { RateLimiter } from '../pipeline/rate-limiter.js';
import { AgentParser } from '../pipeline/user-agent.js';
import { SaltFile } from '../pipeline/salt-file.js';
import { SaltStore } from '../pipeline/salt-store.js';

// Beside the generated secret in DATA_DIR.
const SALT_FILE = 'salts.json';

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
    const salts = new SaltStore(app.sink, config.clock, (err) => app.log.error({ err }, 'salts: the database did not answer; retrying'), {
      file: new SaltFile(join(config.dataDir, SALT_FILE)),
      online: () => app.store.reached,
      onProvisional: (day, replaced) => {
        if (replaced) app.log.warn({ day }, "salts: another instance had stored this day's salt while this one used a provisional one; from now on this instance uses it (visitors hashed in between may count twice that day)");
        else app.log.warn({ day }, "salts: the database is away and this day's salt is not known here: using a provisional one, offered to the database once it answers");
      },
    });
    await salts.refresh();
    // Started without the database: settle provisional salts (and prune old ones) once it answers.
    if (!app.store.reached) app.store.whenReached(() => salts.refresh());
    // Spooled rows are newer than the sessions table: their snapshots must win, or the next
    // beacon of such a session would count from the table's older figures.
    if (app.writer.spooled > 0) await app.sessions.warm(await latestSessionsOf(app.writer.spooledRows()));
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
        excludeIps: excludeIps(config.excludeIps),
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
  { name: 'pipeline', dependencies: ['config', 'query-strip', 'ingest-events', 'geoip', 'sink', 'sessions', 'writer'] },
);

