import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { RejectionSummary, type RejectionLine } from '../../src/ops/rejection-summary.js';
import { until } from '../helpers/process.js';

function summary(intervalMs = 10_000) {
  let now = 1_000_000;
  const lines: RejectionLine[] = [];
  const s = new RejectionSummary({ intervalMs, clock: () => now, report: (line) => lines.push(line) });
  return { s, lines, advance: (ms: number) => (now += ms) };
}

t.test('one line per reason per interval, with the count and the first example', async (t) => {
  const { s, lines, advance } = summary();
  s.add('invalid_schema', 1, 'url: Expected required property');
  advance(2000);
  s.add('invalid_schema', 49, 'type: Expected union value');
  s.add('origin', 50, 'origin https://evil.test not allowed');
  advance(3000);
  t.same(lines, [], 'nothing before the interval ends');
  s.flush();
  t.same(lines, [
    { reason: 'invalid_schema', count: 50, example: 'url: Expected required property', seconds: 5 },
    { reason: 'origin', count: 50, example: 'origin https://evil.test not allowed', seconds: 3 },
  ]);
  s.flush();
  t.equal(lines.length, 2, 'a quiet interval says nothing');
  s.add('origin', 1, 'origin https://other.test not allowed');
  advance(500);
  s.flush();
  t.same(lines[2], { reason: 'origin', count: 1, example: 'origin https://other.test not allowed', seconds: 0.5 }, 'a new interval, a new example');
  s.close();
});

t.test('the example is the first detail, passed through the redactor once', async (t) => {
  let calls = 0;
  const lines: RejectionLine[] = [];
  const s = new RejectionSummary({
    intervalMs: 10_000,
    clock: () => 0,
    report: (line) => lines.push(line),
    redact: (text) => (calls++, text.replace(/token=[^&]*/, 'token=[redacted]')),
  });
  for (let i = 0; i < 100; i++) s.add('invalid_json', 1, `?token=secret${i}`);
  s.close();
  t.same(lines, [{ reason: 'invalid_json', count: 100, example: '?token=[redacted]', seconds: 0 }]);
  t.equal(calls, 1, 'not once per rejection');
});

t.test('the timer reports at the end of the interval; close() reports what is left and stops it', async (t) => {
  const lines: RejectionLine[] = [];
  const s = new RejectionSummary({ intervalMs: 30, clock: Date.now, report: (line) => lines.push(line) });
  s.add('bot', 2, 'user agent curl/8');
  await until(async () => lines.length === 1, 2000);
  t.match(lines, [{ reason: 'bot', count: 2 }], 'reported by the timer');
  s.add('bot', 3, 'user agent curl/8');
  await until(async () => lines.length === 2, 2000);
  t.match(lines, [{ reason: 'bot', count: 2 }, { reason: 'bot', count: 3 }], 'the timer re-armed for the next interval');
  s.add('bot', 1, 'user agent curl/8');
  s.add('dnt', 1, 'DNT or Sec-GPC');
  s.close();
  t.match(lines.slice(2), [{ reason: 'bot', count: 1 }, { reason: 'dnt', count: 1 }], 'flushed at close');
  s.add('bot', 1, 'after close');
  t.match(lines[4], { reason: 'bot', count: 1, example: 'after close' }, 'after close a rejection is reported at once');
  // "No timer fires any more" has no event to wait for: a few intervals (30 ms) pass without a line.
  await sleep(80);
  t.equal(lines.length, 5, 'and nothing is timed');
});

t.test('the logged example is cut: a detail carries what a sender chose (a 16 KB Origin header)', async (t) => {
  const { s, lines } = summary();
  s.add('origin', 1, `origin https://${'a'.repeat(16_000)}.example not allowed`);
  s.flush();
  t.equal(lines.length, 1);
  t.ok((lines[0]?.example.length ?? Infinity) <= 200, `example of ${lines[0]?.example.length} characters`);
});
