import t from 'tap';
import { decodeBody, mediaType } from '../../src/pipeline/decode-body.js';

const b = (s: string) => Buffer.from(s);

t.test('mediaType', async (t) => {
  t.equal(mediaType('Text/Plain; charset=UTF-8'), 'text/plain');
  t.equal(mediaType(undefined), '');
});

t.test('JSON in application/json, text/plain and with no content type', async (t) => {
  for (const type of ['application/json', 'text/plain;charset=UTF-8', undefined]) {
    t.same(await decodeBody(type, b('{"url":"https://a.example/"}')), { ok: true, items: [{ url: 'https://a.example/' }] });
  }
  t.same(await decodeBody('application/json', b('\ufeff[{"url":"x"},{"url":"y"}]')), { ok: true, items: [{ url: 'x' }, { url: 'y' }] }, 'BOM tolerated');
  t.match(await decodeBody('application/json', b('{nope')), { ok: false, reason: 'invalid_json', count: 1 });
  t.match(await decodeBody('application/json', b('null')), { ok: false, reason: 'invalid_schema' });
  t.match(await decodeBody('application/json', b('[' + '{},'.repeat(50) + '{}]')), { ok: false, reason: 'invalid_schema', count: 51 });
});

t.test('urlencoded: numbers coerced, payload parsed', async (t) => {
  const d = await decodeBody('application/x-www-form-urlencoded', b('url=https%3A%2F%2Fa.example%2F&viewport_w=320&timestamp=1700000000000&payload=%7B%22a%22%3A1%7D&name=x'));
  t.same(d, { ok: true, items: [{ url: 'https://a.example/', viewport_w: 320, timestamp: 1_700_000_000_000, payload: { a: 1 }, name: 'x' }] });
  const bad = await decodeBody('application/x-www-form-urlencoded', b('url=u&viewportW=12px&payload=%7Bbroken'));
  t.same(bad, { ok: true, items: [{ url: 'u', viewportW: '12px', payload: '{broken' }] }, 'bad values stay strings for the schema to null');
});

t.test('urlencoded that is JSON (curl -d, "send a string"): read as the JSON', async (t) => {
  const form = 'application/x-www-form-urlencoded';
  t.same(await decodeBody(form, b('{"url":"https://example.com/"}')), { ok: true, items: [{ url: 'https://example.com/' }] }, 'curl -d \'{"url":…}\'');
  t.same(
    await decodeBody(form, b('[{"url":"https://a.example/?q=a+b&c=%41","type":"event","name":"x=1"},{"url":"y"}]')),
    { ok: true, items: [{ url: 'https://a.example/?q=a+b&c=%41', type: 'event', name: 'x=1' }, { url: 'y' }] },
    'an array, its + & = and % left as sent',
  );
  t.same(await decodeBody(form, b(new URLSearchParams({ '{"url":"https://a.example/ b"}': '' }).toString())), { ok: true, items: [{ url: 'https://a.example/ b' }] }, 'percent-encoded as the only key, empty value');
  t.match(await decodeBody(form, b('[' + '{},'.repeat(50) + '{}]')), { ok: false, reason: 'invalid_schema', count: 51 }, 'the batch limit holds');
  t.same(await decodeBody(form, b('{"url":"u"}=x')), { ok: true, items: [{ '{"url":"u"}': 'x' }] }, 'a value: a form');
  t.same(await decodeBody(form, b('{broken')), { ok: true, items: [{ '{broken': '' }] }, 'not JSON: a form');
  t.same(await decodeBody(form, b('"just a string"')), { ok: true, items: [{ '"just a string"': '' }] }, 'JSON but not an object or array: a form');
  t.same(await decodeBody(form, b('url=%7B%7D&type=event')), { ok: true, items: [{ url: '{}', type: 'event' }] }, 'a genuine form is untouched');
});

t.test('multipart: fields as strings, files ignored', async (t) => {
  const fd = new FormData();
  fd.set('url', 'https://a.example/');
  fd.set('viewportH', '700');
  fd.set('file', new Blob(['x']), 'f.txt');
  const r = new Response(fd);
  const d = await decodeBody(r.headers.get('content-type') as string, Buffer.from(await r.arrayBuffer()));
  t.same(d, { ok: true, items: [{ url: 'https://a.example/', viewportH: 700 }] });
});

t.test('anything else is unsupported', async (t) => {
  t.match(await decodeBody('application/xml', b('<a/>')), { ok: false, reason: 'unsupported_type', excerpt: 'application/xml' });
  t.match(await decodeBody('image/gif', b('GIF89a')), { ok: false, reason: 'unsupported_type' });
});

t.test('JSON labelled as a form and saved with a BOM (curl -d @file from Notepad) is read as the JSON', async (t) => {
  t.same(await decodeBody('application/x-www-form-urlencoded', Buffer.from('\ufeff{"url":"https://a.example/"}')), { ok: true, items: [{ url: 'https://a.example/' }] });
});
