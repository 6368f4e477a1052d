import type { FastifyError } from 'fastify';
import type { RejectReason } from '../pipeline/collector.js';

/**
 * Fastify's own refusals of a beacon request, before any route saw it (body over 64 KiB, a broken
 * Content-Length, an unknown type), as rejection reasons: COLLECT_PATH and the trackers' paths
 * count them alike, each answering as its protocol does.
 */
export function refusalReason(err: FastifyError): RejectReason {
  switch (err.statusCode) {
    case 413:
      return 'too_large';
    case 415:
      return 'unsupported_type';
    case 400:
      return err.code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH' ? 'too_large' : 'invalid_json';
    default:
      return 'error';
  }
}
