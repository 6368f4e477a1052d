import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
// The built script (src/client/collector.ts) and the opt-in events it loads from SCRIPT_PATH?events
// when its tag asks for them (src/client/events.ts).
import { EVENTS_FILE, SCRIPT_FILE } from '../paths.js';

/** The built script's default endpoint path, replaced by COLLECT_PATH when served. */
export const COLLECT_PATH_TOKEN = '"__BEACON_COLLECT_PATH__"';

// Not a versioned path: a new release must reach browsers within the hour, and the ETag makes
// the hourly revalidation a 304 of a few bytes.
const CACHE_CONTROL = 'public, max-age=3600';

interface Representation {
  body: Buffer;
  etag: string;
  encoding: 'br' | 'gzip' | null;
}

// Brotli at quality 11 takes ~15 ms a script: done on the first request for it, not at start (a worker,
// a replaying primary or a test app that is never asked for the script does not pay it), and an app
// built again in the same process (the tests build hundreds) reuses what the last one compressed.
// Keyed by the text itself, so a rebuilt script is new.
const prepared = new Map<string, Representation[]>();
const MAX_PREPARED = 8;

/** The script with COLLECT_PATH filled in, and its compressed forms, computed once. */
export function prepareScript(source: string, collectPath: string): Representation[] {
  const key = `${collectPath}\0${source}`;
  let held = prepared.get(key);
  if (held === undefined) {
    if (prepared.size >= MAX_PREPARED) prepared.clear();
    held = compress(source, collectPath);
    prepared.set(key, held);
  }
  return held;
}

function compress(source: string, collectPath: string): Representation[] {
  const text = source.split(COLLECT_PATH_TOKEN).join(JSON.stringify(collectPath));
  const plain = Buffer.from(text, 'utf8');
  const hash = createHash('sha256').update(plain).digest('base64url').slice(0, 22);
  return [
    {
      body: brotliCompressSync(plain, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: plain.length } }),
      etag: `"${hash}-br"`,
      encoding: 'br',
    },
    { body: gzipSync(plain, { level: 9 }), etag: `"${hash}-gz"`, encoding: 'gzip' },
    { body: plain, etag: `"${hash}"`, encoding: null },
  ];
}

/** GET SCRIPT_PATH: the collector script, with an ETag, a one-hour cache lifetime and compression;
 * with ?events, the same for its opt-in events file (so CORS and caching need nothing more). */
export default async function scriptRoute(app: FastifyInstance): Promise<void> {
  const { scriptPath, collectPath } = app.config;
  // Read at start (a missing build is logged then), compressed when first asked for.
  const load = (file: string): (() => Representation[]) => {
    let source: string;
    try {
      source = readFileSync(file, 'utf8');
    } catch (err) {
      // Running from a checkout without a build (tsx): the service works, only the script is missing.
      app.log.error({ err: (err as Error).message }, `collector script not built (${file}): run npm run build; ${scriptPath} answers 404 until then`);
      return () => [];
    }
    let held: Representation[] | undefined;
    return () => (held ??= prepareScript(source, collectPath));
  };
  const script = load(SCRIPT_FILE);
  const events = load(EVENTS_FILE);

  app.get(scriptPath, async (req, reply) => {
    const representations = (Object.hasOwn(req.query as object, 'events') ? events : script)();
    if (representations.length === 0) return reply.code(404).type('text/plain').send('collector script not built\n');
    const accepted = String(req.headers['accept-encoding'] ?? '');
    const chosen =
      representations.find((r) => r.encoding !== null && acceptsEncoding(accepted, r.encoding)) ??
      (representations[representations.length - 1] as Representation);
    reply
      .header('content-type', 'text/javascript; charset=utf-8')
      .header('cache-control', CACHE_CONTROL)
      .header('etag', chosen.etag)
      // Origin as well: the CORS hook echoes it (and its own Vary would be replaced here), so a shared
      // cache must not hand one site's Access-Control-Allow-Origin to another.
      .header('vary', 'Origin, Accept-Encoding')
      .header('x-content-type-options', 'nosniff')
      // Sites with Cross-Origin-Embedder-Policy: require-corp can still load it from another origin.
      .header('cross-origin-resource-policy', 'cross-origin');
    if (matchesEtag(req.headers['if-none-match'], chosen.etag)) return reply.code(304).send();
    if (chosen.encoding !== null) reply.header('content-encoding', chosen.encoding);
    return reply.code(200).send(chosen.body);
  });
}

/** Whether an Accept-Encoding header allows a coding (q=0 refuses it). */
export function acceptsEncoding(header: string, coding: string): boolean {
  for (const part of header.toLowerCase().split(',')) {
    const [name, ...params] = part.trim().split(';');
    if (name?.trim() !== coding) continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}

/** If-None-Match: `*` or a list of (possibly weak) entity tags. */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
