import fp from 'fastify-plugin';
import { BODY_LIMIT } from '../pipeline/beacon-schema.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The raw body, for the collect route to decode (src/pipeline/decode-body.ts). */
    rawBody?: Buffer;
  }
}

/**
 * One parser for every content type: the body is read as bytes (at most 64 KiB) and decoded by
 * the pipeline, not by Fastify. Fastify's own parsers would answer 400/415 for a broken or
 * unknown body, and /collect answers 204 to everything; decoding in the pipeline also lets a
 * bad body be counted with its reason like any other rejection.
 */
export default fp(
  async (app) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (_req, body, done) => {
      done(null, body);
    });
  },
  { name: 'body-parsers' },
);
