import t from 'tap';
import { cut, sanitizePayload, stripControl, stripMarkup } from '../../src/pipeline/sanitize.js';

t.test('stripMarkup: tags out, a lone < stays (DESIGN.md examples)', async (t) => {
  t.equal(stripMarkup('<script>alert(1)</script>'), 'alert(1)');
  t.equal(stripMarkup('a < b'), 'a < b');
  t.equal(stripMarkup('a<b'), 'ab', 'an unclosed tag opener loses its <, the text stays');
  t.equal(stripMarkup('price<max and <b>bold</b>'), 'pricebold', 'DESIGN: from < up to the next >');
  t.equal(stripMarkup('price<max'), 'pricemax');
  t.equal(stripMarkup('<<img src=x'), 'img src=x', 'no opener reassembles');
  t.equal(stripMarkup('1 <2 and 3> 2'), '1 <2 and 3> 2', '< followed by a digit is not a tag');
  t.equal(stripMarkup('x<!-- c -->y'), 'xy');
  t.equal(stripMarkup('x<?php echo 1 ?>y'), 'xy');
  t.equal(stripMarkup('x</b>y'), 'xy');
  t.equal(stripMarkup('<img src=x onerror=alert(1)'), 'img src=x onerror=alert(1)', 'an unclosed tag cannot open in a page');
  t.equal(stripMarkup('<<b>script>alert(1)<</b>/script>'), 'alert(1)', 'no reassembly after one pass');
  t.equal(stripMarkup('<scr\u0000ipt>x'), 'x', 'control characters go first, so they cannot split a tag');
});

t.test('stripControl: C0 and C1 out, everything else kept', async (t) => {
  t.equal(stripControl('a\u0000b\u001fc\u007fd\u0085e\u009ff'), 'abcdef');
  t.equal(stripControl('tab\there\nnew'), 'tabherenew');
  t.equal(stripControl('héllo 🌍 <b>'), 'héllo 🌍 <b>', 'markup is not touched by stripControl');
  t.equal(stripControl('lone \ud800 surrogate'), 'lone \ufffd surrogate');
});

t.test('cut counts code points and never splits a surrogate pair', async (t) => {
  t.equal(cut('abc', 5), 'abc');
  t.equal(cut('abcdef', 3), 'abc');
  t.equal(cut('🌍🌍🌍', 2), '🌍🌍');
  t.equal(cut('a🌍', 2), 'a🌍', 'two code points, three UTF-16 units');
});

t.test('sanitizePayload: strings and keys cleaned, depth and size bounded', async (t) => {
  t.equal(sanitizePayload({ a: '<b>x</b>', n: 1, ok: true, no: null, list: ['<i>y'] }, 4, 8192), '{"a":"x","n":1,"ok":true,"no":null,"list":["y"]}');
  t.equal(sanitizePayload({ '<b>k</b>': 'v\u0000' }, 4, 8192), '{"k":"v"}');
  t.equal(sanitizePayload({ a: { b: { c: { d: 1 } } } }, 4, 8192), '{"a":{"b":{"c":{"d":1}}}}', 'depth 4 kept');
  t.equal(sanitizePayload({ a: { b: { c: { d: {} } } } }, 4, 8192), null, 'depth 5 dropped');
  t.equal(sanitizePayload({ a: [[[[1]]]] }, 4, 8192), null, 'arrays count as levels');
  t.equal(sanitizePayload({ s: 'x'.repeat(8184) }, 4, 8192), `{"s":"${'x'.repeat(8184)}"}`, 'exactly 8 KiB kept');
  t.equal(sanitizePayload({ s: 'x'.repeat(8185) }, 4, 8192), null, 'one byte over dropped');
  t.equal(sanitizePayload({ s: 'é'.repeat(4093) }, 4, 8192), null, 'measured in UTF-8 bytes');
  const polluted = JSON.parse('{"__proto__": {"polluted": 1}}');
  t.equal(sanitizePayload(polluted, 4, 8192), '{"__proto__":{"polluted":1}}', '__proto__ stays a plain key');
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype touched');
});
