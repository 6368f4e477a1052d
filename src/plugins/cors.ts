import cors from '@fastify/cors';
import fp from 'fastify-plugin';

/**
 * CORS for /collect. The request's origin is echoed when allowed (never a literal `*`, which
 * browsers refuse with credentials, and sendBeacon sends credentials); a disallowed origin gets
 * no CORS headers, so the browser does not send. Preflights always answer 204 (no strict 400).
 * Beacons that skip the preflight (text/plain) are checked again by the collector.
 */
export default fp(
  async (app) => {
    const list = app.config.allowedOrigins;
    const allowed: ReadonlySet<string> | null = Array.isArray(list) ? new Set(list) : null;
    await app.register(cors, {
      origin: (origin, cb) => cb(null, origin !== undefined && (allowed === null || allowed.has(origin))),
      credentials: true,
      methods: ['POST', 'OPTIONS'],
      allowedHeaders: ['Content-Type'],
      maxAge: 86_400,
      strictPreflight: false,
    });
  },
  { name: 'cors', dependencies: ['config'] },
);
