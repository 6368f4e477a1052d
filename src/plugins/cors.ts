import cors from '@fastify/cors';
import fp from 'fastify-plugin';

/**
 * CORS for the collect routes and the collector script, and nothing else: the ops routes
 * (/health, /ready, /metrics) are for operators, not for another site's page to read with the
 * visitor's credentials. The request's origin is echoed when allowed (never a literal `*`, which
 * browsers refuse with credentials, and sendBeacon sends credentials); a disallowed origin gets
 * no CORS headers, so the browser does not send. Preflights always answer 204 (no strict 400).
 * Beacons that skip the preflight (text/plain) are checked again by the collector. Plausible's and
 * Umami's paths too, when on: Umami's tracker sends JSON with its x-umami-cache header, so its
 * preflight must allow that header.
 */
export default fp(
  async (app) => {
    const { allowedOrigins: list, collectPath, scriptPath, plausiblePath, umamiPath } = app.config;
    const allowed: ReadonlySet<string> | null = Array.isArray(list) ? new Set(list) : null;
    const corsPaths: ReadonlySet<string> = new Set([collectPath, `${collectPath}.gif`, scriptPath, ...(plausiblePath === null ? [] : [plausiblePath])]);
    const on = {
      origin: (origin: string | undefined, cb: (err: Error | null, allow: boolean) => void) =>
        cb(null, origin !== undefined && (allowed === null || allowed.has(origin))),
      credentials: true,
      methods: ['POST', 'OPTIONS'],
      allowedHeaders: ['Content-Type'],
      maxAge: 86_400,
      strictPreflight: false,
    };
    const umami = { ...on, allowedHeaders: ['Content-Type', 'x-umami-cache'] };
    const off = { origin: false };
    // By path, not by route: a preflight to any other path lands on the plugin's `OPTIONS *` route.
    await app.register(cors, {
      delegator: (req, cb) => {
        const q = req.url.indexOf('?');
        const path = q === -1 ? req.url : req.url.slice(0, q);
        cb(null, corsPaths.has(path) ? on : path === umamiPath ? umami : off);
      },
    });
  },
  { name: 'cors', dependencies: ['config'] },
);
