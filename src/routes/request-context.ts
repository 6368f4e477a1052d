import type { FastifyRequest } from 'fastify';
import { canonicalIp } from '../pipeline/client-ip.js';
import type { RequestContext } from '../pipeline/request-context.js';

/**
 * What the pipeline needs of a request, for COLLECT_PATH and the trackers' paths alike: the address
 * after TRUST_PROXY (X-Forwarded-For is believed only from a trusted hop), the User-Agent header,
 * DNT and Sec-GPC. `countryHeader`: CDN_COUNTRY_HEADER lower-cased, or null when none is believed.
 */
export function requestContext(req: FastifyRequest, countryHeader: string | null): RequestContext {
  const h = req.headers;
  return {
    origin: h.origin,
    // Junk that a trusted proxy passed on as X-Forwarded-For is no address: the socket's is used instead.
    ip: canonicalIp(req.ip) ?? canonicalIp(req.socket.remoteAddress) ?? '0.0.0.0',
    userAgent: h['user-agent'],
    peer: req.socket.remoteAddress ?? '',
    cdnCountry: countryHeader === null ? undefined : firstHeader(h[countryHeader]),
    doNotTrack: h.dnt === '1' || h['sec-gpc'] === '1',
  };
}

/** A header's value, or its first when repeated. */
export function firstHeader(value: unknown): string | undefined {
  // Not `value` as is: a header named like an Object.prototype member ("constructor") is no string.
  return typeof value === 'string' ? value : Array.isArray(value) && typeof value[0] === 'string' ? value[0] : undefined;
}
