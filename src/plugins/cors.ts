import type { FastifyReply } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false: this route never answers CORS (the debug endpoint), whatever its path. */
    cors?: false;
  }
}

/**
 * CORS for the collect routes and the collector script, and nothing else: the ops routes
 * (/health, /ready, /metrics) are for operators, not for another site's page to read with the
 * visitor's credentials. The request's origin is echoed when allowed (never a literal `*`, which
 * browsers refuse with credentials, and sendBeacon sends credentials); a disallowed origin gets
 * no CORS headers, so the browser does not send. Preflights always answer 204 (no strict 400).
 * Beacons that skip the preflight (text/plain) are checked again by the collector. Plausible's and
 * Umami's paths too, when on: Umami's tracker sends JSON with its x-umami-cache header, so its
 * preflight must allow that header.
 *
 * The headers are those @fastify/cors wrote with a per-path delegator, written by one onRequest
 * hook: the delegator made @fastify/cors build and merge its options objects on every request
 * (about 5% of the service's CPU per beacon and 1.8 KB of garbage, issue 18).
 */
export default fp(
  async (app) => {
    const { allowedOrigins: list, collectPath, scriptPath, plausiblePath, umamiPath } = app.config;
    const allowed: ReadonlySet<string> | null = Array.isArray(list) ? new Set(list) : null;
    // Per path, the Access-Control-Allow-Headers of its preflight.
    const corsPaths = new Map<string, string>();
    for (const path of [collectPath, `${collectPath}.gif`, scriptPath, plausiblePath]) if (path !== null) corsPaths.set(path, 'Content-Type');
    if (umamiPath !== null) corsPaths.set(umamiPath, 'Content-Type, x-umami-cache');

    // By path, not by route: a preflight to a path without an OPTIONS route of its own lands on `OPTIONS *`.
    app.addHook('onRequest', (req, reply, done) => {
      // What the answer depends on, for caches (on every path, as @fastify/cors did).
      addVaryOrigin(reply);
      const url = req.url;
      const q = url.indexOf('?');
      const allowHeaders = corsPaths.get(q === -1 ? url : url.slice(0, q));
      const origin = req.headers.origin;
      if (allowHeaders === undefined || origin === undefined || (allowed !== null && !allowed.has(origin))) return done();
      if (req.routeOptions.config?.cors === false) return done(); // a route that opts out (the debug endpoint)
      reply.header('access-control-allow-origin', origin).header('access-control-allow-credentials', 'true');
      if (req.raw.method !== 'OPTIONS') return done();
      // A preflight is answered here, before any other hook (content-length 0: Safari waits for a body otherwise).
      reply
        .header('access-control-allow-methods', 'POST, OPTIONS')
        .header('access-control-allow-headers', allowHeaders)
        .header('access-control-max-age', '86400')
        .code(204)
        .header('content-length', '0')
        .send();
    });
    // A preflight that was not answered above (origin or path not allowed) gets the usual 404.
    app.options('*', (_req, reply) => {
      reply.callNotFound();
    });
  },
  { name: 'cors', dependencies: ['config'] },
);

function addVaryOrigin(reply: FastifyReply): void {
  const vary = reply.getHeader('vary');
  if (vary === undefined) reply.header('vary', 'Origin');
  else if (typeof vary === 'string' && vary !== '*' && !/(^|,)\s*origin\s*(,|$)/i.test(vary)) reply.header('vary', `${vary}, Origin`);
}
