import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DebugTrace } from '../pipeline/debug-trace.js';
import { plausibleBeacon } from '../trackers/plausible-event.js';
import { TrackerIntake, type TrackerBeacons } from '../trackers/tracker-intake.js';
import { umamiBeacon } from '../trackers/umami-send.js';
import { refusalReason } from './fastify-refusal.js';
import { requestContext } from './request-context.js';

// Umami's tracker keeps this text (version 2) or its `cache` (version 3) and sends it back in
// x-umami-cache. Umami's server puts a signed token with the session there; here sessions come from
// the visitor hash, so the token would save nothing, and a client-held session could be replayed
// or forged: an empty one, the same for everybody, and whatever comes back is never read.
const UMAMI_ANSWER = '{"cache":""}';
const UMAMI_BAD_REQUEST = '{"error":"bad request"}';
const EMPTY = Buffer.alloc(0);

/**
 * POST PLAUSIBLE_PATH (always 202 "ok", as Plausible answers) and POST UMAMI_PATH (200 with the
 * cache body; 400 for a body that is not Umami's, as Umami answers), each turned into our beacons
 * by its adapter and fed to the collector; with DEBUG_ENDPOINT, their `/debug` twins. No logic here.
 */
export default async function trackerRoutes(app: FastifyInstance): Promise<void> {
  const { collector, config, ingestEvents } = app;
  const { plausiblePath, umamiPath, cdnCountryHeader: countryHeader } = config;
  const intake = new TrackerIntake(collector, ingestEvents, config.allowedOrigins);
  const answer = (path: string | undefined, reply: FastifyReply, malformed: boolean): FastifyReply =>
    path === umamiPath
      ? reply.code(malformed ? 400 : 200).type('application/json').send(malformed ? UMAMI_BAD_REQUEST : UMAMI_ANSWER)
      : reply.code(202).type('text/plain').send('ok');

  app.setErrorHandler((err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    const reason = refusalReason(err);
    const route = req.routeOptions.url ?? '';
    if (route.endsWith('/debug')) return reply.code(err.statusCode ?? 500).send({ error: err.code ?? 'error', reason, message: err.message });
    if (err.code?.startsWith('FST_')) ingestEvents.received(1);
    ingestEvents.rejected(reason, 1, err.code ?? err.message);
    if (reason === 'error') app.log.error({ err }, `${route} failed`);
    return answer(route, reply, reason !== 'error');
  });

  const routes: [string | null, (body: Buffer, req: FastifyRequest) => TrackerBeacons][] = [
    [plausiblePath, (body) => plausibleBeacon(body)],
    [umamiPath, (body, req) => umamiBeacon(body, req.headers.origin)],
  ];
  for (const [path, adapt] of routes) {
    if (path === null) continue;
    app.post(path, async (req, reply) => {
      const beacons = adapt(Buffer.isBuffer(req.body) ? req.body : EMPTY, req);
      await intake.ingest(beacons, requestContext(req, countryHeader));
      return answer(path, reply, !beacons.ok && beacons.malformed);
    });
    // An allowed preflight is answered by the CORS hook before this; a disallowed one lands here.
    app.options(path, async (_req, reply) => reply.code(204).send());
    if (config.debugEndpoint) {
      // As COLLECT_PATH/debug: off by default, and no CORS (another site must not read it).
      app.post(`${path}/debug`, { config: { cors: false } }, async (req, reply) => {
        const beacons = adapt(Buffer.isBuffer(req.body) ? req.body : EMPTY, req);
        const trace = new DebugTrace(beacons.ok ? beacons.items.length : 1);
        await intake.ingest(beacons, requestContext(req, countryHeader), trace);
        return reply.code(200).header('cache-control', 'no-store').send(trace.report());
      });
    }
  }
}
