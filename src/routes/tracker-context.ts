import type { FastifyRequest } from 'fastify';
import { canonicalIp } from '../pipeline/client-ip.js';
import type { RequestContext } from '../pipeline/request-context.js';

/**
 * What the pipeline needs of a tracker's request: the same reading as COLLECT_PATH's (the address
 * after TRUST_PROXY, so X-Forwarded-For is believed only from a trusted hop; the User-Agent header;
 * DNT and Sec-GPC). `countryHeader`: CDN_COUNTRY_HEADER lower-cased, or null.
 */
export function trackerContext(req: FastifyRequest, countryHeader: string | null): RequestContext {
  const h = req.headers;
  return {
    origin: h.origin,
    ip: canonicalIp(req.ip) ?? canonicalIp(req.socket.remoteAddress) ?? '0.0.0.0',
    userAgent: h['user-agent'],
    peer: req.socket.remoteAddress ?? '',
    cdnCountry: countryHeader === null ? undefined : firstHeader(h[countryHeader]),
    doNotTrack: h.dnt === '1' || h['sec-gpc'] === '1',
  };
}

function firstHeader(value: unknown): string | undefined {
  return typeof value === 'string' ? value : Array.isArray(value) && typeof value[0] === 'string' ? value[0] : undefined;
}
