// The body-parsers plugin on a bare Fastify: every body reaches the route as its raw bytes (the
// pipeline decodes it), whatever its type and however broken, up to 64 KiB; past that, 413.
import Fastify, { type FastifyInstance } from 'fastify';
import t from 'tap';
import { BODY_LIMIT } from '../../src/pipeline/beacon-schema.js';
import bodyParsers from '../../src/plugins/body-parsers.js';

/** Fastify() with the plugin and a route answering what it was given as the body. */
async function app(t: { teardown(fn: () => unknown): void }): Promise<FastifyInstance> {
  const app = Fastify();
  t.teardown(() => app.close());
  await app.register(bodyParsers);
  app.post('/echo', async (req) => {
    const body = req.body as unknown;
    return { buffer: Buffer.isBuffer(body), text: Buffer.isBuffer(body) ? body.toString('latin1') : null };
  });
  return app;
}

const post = (a: FastifyInstance, payload: string | Buffer, contentType?: string) =>
  a.inject({ method: 'POST', url: '/echo', payload, headers: contentType === undefined ? {} : { 'content-type': contentType } });

t.test('JSON as text/plain (sendBeacon) or application/json: the bytes, unparsed, broken or not', async (t) => {
  const a = await app(t);
  for (const type of ['text/plain;charset=UTF-8', 'application/json', 'Application/JSON; charset=utf-8']) {
    const res = await post(a, '{"url":"https://example.com/"}', type);
    t.equal(res.statusCode, 200, type);
    t.same(res.json(), { buffer: true, text: '{"url":"https://example.com/"}' }, type);
  }
  const broken = await post(a, '{"url":', 'application/json');
  t.equal(broken.statusCode, 200, "not Fastify's 400: /collect counts it as invalid_json itself");
  t.same(broken.json(), { buffer: true, text: '{"url":' });
});

t.test('forms, multipart, unknown types and no type at all: the bytes too', async (t) => {
  const a = await app(t);
  const form = await post(a, 'url=https%3A%2F%2Fexample.com%2F&type=event', 'application/x-www-form-urlencoded');
  t.same(form.json(), { buffer: true, text: 'url=https%3A%2F%2Fexample.com%2F&type=event' });

  const fd = new FormData();
  fd.set('url', 'https://example.com/');
  const encoded = new Response(fd);
  const bytes = Buffer.from(await encoded.arrayBuffer());
  const multipart = await post(a, bytes, encoded.headers.get('content-type') as string);
  t.same(multipart.json(), { buffer: true, text: bytes.toString('latin1') });

  const xml = await post(a, '<a/>', 'application/xml');
  t.equal(xml.statusCode, 200, "not Fastify's 415: /collect counts it as unsupported_type itself");
  t.same(xml.json(), { buffer: true, text: '<a/>' });

  const binary = Buffer.from([0, 0xff, 0x80, 0x0a]);
  t.same((await post(a, binary, 'application/octet-stream')).json(), { buffer: true, text: binary.toString('latin1') }, 'bytes kept as bytes');

  const untyped = await post(a, '{"url":"https://example.com/"}');
  t.same(untyped.json(), { buffer: true, text: '{"url":"https://example.com/"}' }, 'no Content-Type');
});

t.test('at most 64 KiB: exactly the limit passes, one byte more is 413', async (t) => {
  const a = await app(t);
  t.equal(BODY_LIMIT, 64 * 1024);
  const full = await post(a, 'x'.repeat(BODY_LIMIT), 'text/plain');
  t.equal(full.statusCode, 200);
  t.equal(full.json().text.length, BODY_LIMIT);
  const over = await post(a, 'x'.repeat(BODY_LIMIT + 1), 'text/plain');
  t.equal(over.statusCode, 413);
  t.equal(over.json().code, 'FST_ERR_CTP_BODY_TOO_LARGE');
});
