// The collector script's route: collector.js and its opt-in events (cache, ETag, encodings), and its helpers.
import { gunzipSync, brotliDecompressSync } from 'node:zlib';
import t from 'tap';
import { acceptsEncoding, prepareScript } from '../../src/routes/script.js';
import { buildTestApp } from '../helpers/app.js';

t.test('collector.js: JavaScript with an ETag, one-hour cache, compressed when asked, 304 on revalidation', async (t) => {
  const h = await buildTestApp(t);
  const plain = await h.app.inject({ method: 'GET', url: '/collector.js', headers: { 'accept-encoding': 'identity' } });
  t.equal(plain.statusCode, 200);
  t.equal(plain.headers['content-type'], 'text/javascript; charset=utf-8');
  t.equal(plain.headers['cache-control'], 'public, max-age=3600');
  t.equal(plain.headers['content-encoding'], undefined);
  t.match(plain.headers.etag, /^"[\w-]{22}"$/);
  t.ok(plain.body.includes('"/collect"'), 'default endpoint path filled in');
  t.ok(plain.body.includes('sendBeacon'));

  const gz = await h.app.inject({ method: 'GET', url: '/collector.js', headers: { 'accept-encoding': 'gzip, deflate' } });
  t.equal(gz.headers['content-encoding'], 'gzip');
  t.equal(gunzipSync(gz.rawPayload).toString('utf8'), plain.body);
  t.ok(gz.rawPayload.length < 3072, `under 3 KB gzipped (${gz.rawPayload.length} bytes)`);
  t.not(gz.headers.etag, plain.headers.etag, 'each encoding is its own representation');
  const br = await h.app.inject({ method: 'GET', url: '/collector.js', headers: { 'accept-encoding': 'gzip, br' } });
  t.equal(br.headers['content-encoding'], 'br');
  t.equal(brotliDecompressSync(br.rawPayload).toString('utf8'), plain.body);

  const again = await h.app.inject({ method: 'GET', url: '/collector.js', headers: { 'accept-encoding': 'gzip', 'if-none-match': String(gz.headers.etag) } });
  t.equal(again.statusCode, 304);
  t.equal(again.rawPayload.length, 0);
  const stale = await h.app.inject({ method: 'GET', url: '/collector.js', headers: { 'accept-encoding': 'gzip', 'if-none-match': '"old"' } });
  t.equal(stale.statusCode, 200);
});

t.test('collector.js?events: the opt-in events file, served as the script is (cache, ETag, encodings, CORS)', async (t) => {
  const h = await buildTestApp(t, { ALLOWED_ORIGINS: 'https://site.example' });
  const script = await h.app.inject({ method: 'GET', url: '/collector.js', headers: { 'accept-encoding': 'gzip' } });
  const events = await h.app.inject({ method: 'GET', url: '/collector.js?events', headers: { 'accept-encoding': 'gzip', origin: 'https://site.example' } });
  t.equal(events.statusCode, 200);
  t.equal(events.headers['content-type'], 'text/javascript; charset=utf-8');
  t.equal(events.headers['cache-control'], 'public, max-age=3600');
  t.equal(events.headers['content-encoding'], 'gzip');
  t.equal(events.headers['access-control-allow-origin'], 'https://site.example', 'the same CORS path');
  const body = gunzipSync(events.rawPayload).toString('utf8');
  t.ok(body.includes('Outbound Link: Click'), 'the opt-in events');
  t.notOk(body.includes('sendBeacon'), 'not the script');
  t.not(events.headers.etag, script.headers.etag);
  t.ok(gunzipSync(script.rawPayload).toString('utf8').includes('?events'), 'the script knows where to find it');
  const again = await h.app.inject({ method: 'GET', url: '/collector.js?events', headers: { 'accept-encoding': 'gzip', 'if-none-match': String(events.headers.etag) } });
  t.equal(again.statusCode, 304);
});

t.test('prepareScript and acceptsEncoding', async (t) => {
  const [br, gz, plain] = prepareScript('var e="__BEACON_COLLECT_PATH__";', '/a"b');
  t.equal(plain?.body.toString(), 'var e="/a\\"b";', 'the path is inserted as a JSON string');
  t.equal(gunzipSync(gz?.body ?? Buffer.alloc(0)).toString(), plain?.body.toString());
  t.ok(br?.etag.endsWith('-br"'));
  const other = prepareScript('var e="__BEACON_COLLECT_PATH__";', '/b');
  t.not(other[2]?.etag, plain?.etag, 'a new path (or release) is a new ETag');
  t.ok(acceptsEncoding('gzip, br;q=0.5', 'br'));
  t.notOk(acceptsEncoding('gzip, br;q=0', 'br'));
  t.notOk(acceptsEncoding('identity', 'gzip'));
});
