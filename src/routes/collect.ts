import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { canonicalIp } from '../pipeline/client-ip.js';
import { decodeBody } from '../pipeline/decode-body.js';
import type { RejectReason } from '../pipeline/collector.js';

/** Fastify's own refusals, mapped to rejection reasons; all of them still answer 204. */
function reasonFor(err: FastifyError): RejectReason {
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

/** POST /collect and OPTIONS /collect: always 204 with an empty body. No logic here. */
export default async function collectRoutes(app: FastifyInstance): Promise<void> {
  const collector = app.collector;

  app.setErrorHandler((err: FastifyError, _req: FastifyRequest, reply: FastifyReply) => {
    const reason = reasonFor(err);
    // Fastify's refusals come before the collector saw the request; a failure inside it was counted there.
    if (err.code?.startsWith('FST_')) app.ingestEvents.received(1);
    app.ingestEvents.rejected(reason, 1, err.code ?? err.message);
    if (reason === 'error') app.log.error({ err }, 'collect failed');
    return reply.code(204).send();
  });

  app.post('/collect', async (req, reply) => {
    const body = Buffer.isBuffer(req.body) ? req.body : EMPTY;
    const decoded = await decodeBody(req.headers['content-type'], body);
    const h = req.headers;
    await collector.ingest(decoded, {
      origin: h.origin,
      // Junk that a trusted proxy passed on as X-Forwarded-For is no address: the socket's is used instead.
      ip: canonicalIp(req.ip) ?? canonicalIp(req.socket.remoteAddress) ?? '0.0.0.0',
      userAgent: h['user-agent'],
      peer: req.socket.remoteAddress ?? '',
      cdnCountry: firstHeader(h['cf-ipcountry'] ?? h['cloudfront-viewer-country'] ?? h['x-vercel-ip-country']),
      doNotTrack: h.dnt === '1' || h['sec-gpc'] === '1',
    });
    return reply.code(204).send();
  });

  // An allowed preflight is answered by the CORS hook before this; a disallowed one lands here.
  app.options('/collect', async (_req, reply) => reply.code(204).send());
}

const EMPTY = Buffer.alloc(0);

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
