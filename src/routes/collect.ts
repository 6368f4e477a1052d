import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { decodeBody, decodeQuery } from '../pipeline/decode-body.js';
import { DebugTrace } from '../pipeline/debug-trace.js';
import { refusalReason } from './fastify-refusal.js';
import { firstHeader, requestContext } from './request-context.js';

// The smallest transparent GIF (1x1, 42 bytes).
export const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

/**
 * POST and OPTIONS COLLECT_PATH (always 204, empty), the pixel GET COLLECT_PATH.gif (always the
 * GIF) and, when DEBUG_ENDPOINT=true, POST COLLECT_PATH/debug. No logic here: the collector decides.
 */
export default async function collectRoutes(app: FastifyInstance): Promise<void> {
  const { collector, config } = app;
  const path = config.collectPath;
  const countryHeader = config.cdnCountryHeader;

  app.setErrorHandler((err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    const reason = refusalReason(err); // all of them still answer 204
    if (req.routeOptions.url === `${path}/debug`) {
      // A dry run is no traffic: not counted, and told plainly what was wrong.
      return reply.code(err.statusCode ?? 500).send({ error: err.code ?? 'error', reason, message: err.message });
    }
    // Fastify's refusals come before the collector saw the request; a failure inside it was counted there.
    if (err.code?.startsWith('FST_')) app.ingestEvents.received(1);
    app.ingestEvents.rejected(reason, 1, err.code ?? err.message);
    if (reason === 'error') app.log.error({ err }, 'collect failed');
    if (req.routeOptions.url === `${path}.gif`) return sendPixel(reply);
    return reply.code(204).send();
  });

  app.post(path, async (req, reply) => {
    const body = Buffer.isBuffer(req.body) ? req.body : EMPTY;
    await collector.ingest(await decodeBody(req.headers['content-type'], body), requestContext(req, countryHeader));
    return reply.code(204).send();
  });

  // An allowed preflight is answered by the CORS hook before this; a disallowed one lands here.
  app.options(path, async (_req, reply) => reply.code(204).send());

  // noscript and email: <img src="…/collect.gif?url=…">. The image is answered whatever happened.
  // No HEAD twin: link checkers and mail scanners send HEAD, and that is nobody viewing anything.
  app.get(`${path}.gif`, { exposeHeadRoute: false }, async (req, reply) => {
    const q = req.url.indexOf('?');
    const decoded = decodeQuery(q === -1 ? '' : req.url.slice(q + 1), firstHeader(req.headers.referer));
    await collector.ingest(decoded, { ...requestContext(req, countryHeader), pixel: true });
    return sendPixel(reply);
  });

  if (config.debugEndpoint) {
    // Tells a sender what would be stored and why not; it also tells an attacker, hence off by default.
    // No CORS headers: another site's page must not read what it reveals about its visitors.
    app.post(`${path}/debug`, { config: { cors: false } }, async (req, reply) => {
      const body = Buffer.isBuffer(req.body) ? req.body : EMPTY;
      const decoded = await decodeBody(req.headers['content-type'], body);
      const trace = new DebugTrace(decoded.ok ? decoded.items.length : decoded.count);
      await collector.ingest(decoded, requestContext(req, countryHeader), trace);
      return reply.code(200).header('cache-control', 'no-store').send(trace.report());
    });
  }
}

function sendPixel(reply: FastifyReply): FastifyReply {
  return reply
    .code(200)
    .header('content-type', 'image/gif')
    // Every open and every page view must reach us: no browser, proxy or mail client may keep it.
    .header('cache-control', 'no-store, no-cache, must-revalidate, max-age=0')
    .header('pragma', 'no-cache')
    .header('expires', '0')
    // Pages that set Cross-Origin-Embedder-Policy may still load it.
    .header('cross-origin-resource-policy', 'cross-origin')
    .send(PIXEL);
}

const EMPTY = Buffer.alloc(0);
