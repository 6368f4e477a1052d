import t from 'tap';
import { QueryStripper } from '../../src/pipeline/query-strip.js';

const q = new QueryStripper(['token', 'email', 'api_key']);
const strip = (u: string) => q.strip(new URL(u)).href;

t.test('removes only the listed parameters, case-insensitively, after decoding names', async (t) => {
  t.equal(strip('https://a.example/?token=1&q=2'), 'https://a.example/?q=2');
  t.equal(strip('https://a.example/?TOKEN=1&Email=x%40y&keep=1&API_KEY=k'), 'https://a.example/?keep=1');
  t.equal(strip('https://a.example/?t%6Fken=1&q=2'), 'https://a.example/?q=2', 'an encoded name is still the name');
  t.equal(strip('https://a.example/?token=1'), 'https://a.example/', 'no empty "?" left');
  t.equal(strip('https://a.example/?tokens=1&mytoken=2&token'), 'https://a.example/?tokens=1&mytoken=2', 'exact names only; a bare name too');
  t.equal(strip('https://a.example/p#token=1'), 'https://a.example/p#token=1', 'the fragment is not the query');
});

t.test('the other parameters keep their exact encoding', async (t) => {
  t.equal(strip('https://a.example/?a=~!*()&b=%20x+y&token=1'), 'https://a.example/?a=~!*()&b=%20x+y');
  const long = 'https://a.example/?a=' + '~'.repeat(1000) + '&token=1';
  t.equal(strip(long).length, long.length - '&token=1'.length, 'never longer than what was sent');
  const untouched = 'https://a.example/?q=a%20b&x=~';
  t.equal(strip(untouched), untouched);
});

t.test('redact blanks the values in free text', async (t) => {
  t.equal(q.redact('{"url":"https://a.example/?token=abc&x=1"'), '{"url":"https://a.example/?token=[redacted]&x=1"');
  t.equal(q.redact('email=a@b.c'), 'email=[redacted]');
  t.equal(new QueryStripper([]).redact('token=1'), 'token=1');
});
