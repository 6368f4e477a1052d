import t from 'tap';
import { QueryStripper } from '../../src/pipeline/query-strip.js';
import { storedBeacon } from '../../src/pipeline/stored-beacon.js';
import { validateBeacon } from '../../src/pipeline/validate-beacon.js';

const now = Date.UTC(2026, 10, 23, 12);
const strip = new QueryStripper(['token']);

function stored(item: Record<string, unknown>) {
  const v = validateBeacon(item, now);
  if (!v.ok) throw new Error(v.detail);
  return storedBeacon(v, strip);
}
const url = (u: string) => stored({ url: u });
const referrer = (r: string) => {
  const s = stored({ url: 'https://a.example/', referrer: r });
  return s.ok ? s.referrer : 'dropped';
};

t.test('host names: letters, digits, - and _, 1-63 a label, 253 in all, or an IP address', async (t) => {
  for (const ok of [
    'https://a.example/', 'https://_dmarc.example/', 'https://a-b.example./', 'https://localhost/', 'https://bücher.example/',
    'https://0x7f.1/', 'https://[::1]/', 'https://[::ffff:1.2.3.4]/', 'https://[2001:db8::1]:8443/',
    `https://${'a'.repeat(63)}.example/`, `https://${'b.'.repeat(126)}/`,
  ]) {
    t.match(url(ok), { ok: true }, ok);
  }
  for (const bad of [
    'https://a"b.example/', "https://a'b.example/", 'https://a`b.example/', 'https://a{b}.example/', 'https://a(b).example/',
    'https://a!b.example/', 'https://a$b.example/', 'https://a&b.example/', 'https://a*b.example/', 'https://a+b.example/',
    'https://a,b.example/', 'https://a;b.example/', 'https://a=b.example/', 'https://a~b.example/', 'https://a%22b.example/',
    'https://a..b/', 'https://.a.example/', `https://${'a'.repeat(64)}.example/`, `https://${'b.'.repeat(127)}/`,
  ]) {
    t.match(url(bad), { ok: false, detail: /host/ }, bad);
  }
  t.match(url(`https://${'a.'.repeat(126)}ab/`), { ok: false }, '254 characters');
  t.match(url(`https://${'a.'.repeat(126)}a/`), { ok: true, hostname: `${'a.'.repeat(126)}a` }, '253 characters');
});

t.test('the url as stored: no userinfo, no listed parameters, quotes encoded, at most 2048', async (t) => {
  t.match(url("https://u:p@a.example/it's?token=1&q='"), { ok: true, url: 'https://a.example/it%27s?q=%27', hostname: 'a.example' });
  const head = "https://a.example/'''''";
  t.match(url(head + 'x'.repeat(2038 - head.length)), { ok: true }, '2048 once encoded');
  t.match(url(head + 'x'.repeat(2039 - head.length)), { ok: false, detail: /2049 characters/ }, '2049 once encoded');
  // 2048 as sent, 2088 with its quotes encoded, 2021 once the token is removed.
  const stripped = 'https://a.example/?q=' + 'x'.repeat(2000) + '&token=' + "'".repeat(20);
  t.match(url(stripped), { ok: true, url: 'https://a.example/?q=' + 'x'.repeat(2000) }, 'measured after URL_QUERY_STRIP');
});

t.test('the referrer: NULL when its host is no host name or it is too long as stored', async (t) => {
  t.equal(referrer('https://me:secret@r.example/a'), 'https://r.example/a');
  t.equal(referrer('https://r.example/?token=x&a=1'), 'https://r.example/?a=1');
  t.equal(referrer('https://r"onclick="x.example/'), null);
  t.equal(referrer('android-app://com.google.android.gm/'), 'android-app://com.google.android.gm/');
  t.equal(referrer('android-app://Com.Example_1/'), 'android-app://Com.Example_1/', 'package names keep their case');
  t.equal(referrer('android-app://com.a"b/'), null);
  t.equal(referrer('android-app://com-a.b/'), null, 'no hyphen in a package name');
  t.equal(referrer('android-app://u:p@com.x/'), 'android-app://com.x/');
  t.equal(referrer('https://r.example/x' + "'".repeat(700)), null, 'never cut: NULL');
  const s = stored({ url: 'https://a.example/', referrer: 'https://r"x.example/', payload: { a: { b: { c: { d: { e: 1 } } } } }, name: 5 });
  t.match(s, { ok: true, nulled: ['name', 'referrer', 'payload'] }, 'every NULL listed once');
});

t.test('event names and payloads are cleaned and bounded', async (t) => {
  t.match(stored({ url: 'https://a.example/', type: 'event', name: '<b>sign</b>up\u0000' }), { ok: true, eventName: 'signup', payload: null });
  t.match(stored({ url: 'https://a.example/', payload: { a: '<i>x</i>' } }), { ok: true, payload: '{"a":"x"}' });
});
