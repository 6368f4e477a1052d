// The rows held in memory, bounded by count and by their estimated heap bytes (BUFFER_MAX_BYTES).
import t from 'tap';
import { MemoryBuffer } from '../../src/buffer/memory-buffer.js';
import { ROW_FIXED_BYTES, rowHeapBytes } from '../../src/buffer/row-heap-bytes.js';
import { row } from '../helpers/rows.js';

const KB = 1024;
// A row whose estimate is exactly `bytes` (more than the fixed part): a payload of ASCII characters.
const sized = (n: number, bytes: number) => {
  const url = `https://a.example/${n}`;
  return row(n, { url, payload: 'x'.repeat(bytes - ROW_FIXED_BYTES - url.length) });
};

t.test('the estimate counts characters at one byte in a one-byte string and two in a two-byte one', async (t) => {
  const ascii = row(1, { payload: '{"a":"' + 'x'.repeat(1000) + '"}' });
  const latin1 = row(1, { payload: '{"a":"' + 'é'.repeat(1000) + '"}' });
  const cjk = row(1, { payload: '{"a":"' + '漢'.repeat(1000) + '"}' });
  const base = rowHeapBytes(row(1));
  t.equal(rowHeapBytes(ascii) - base, 1008, 'ASCII: a byte a character');
  t.equal(rowHeapBytes(latin1) - base, 1008, 'Latin-1 is still one byte a character in V8');
  t.equal(rowHeapBytes(cjk) - base, 2016, 'one character above U+00FF makes the whole string two bytes a character');
  t.ok(rowHeapBytes(cjk) > cjk.approxBytes, 'more than approxBytes, which counts characters');
  const emojiName = row(1, { eventName: 'go 🚀' });
  t.equal(rowHeapBytes(emojiName) - base, 2 * 'go 🚀'.length, 'event names too');
  const long = row(1, { url: 'https://a.example/' + 'p'.repeat(2000), referrer: 'https://b.example/' + 'r'.repeat(2000), userAgent: 'Mozilla/5.0 ' + 'u'.repeat(400) });
  t.equal(rowHeapBytes(long), ROW_FIXED_BYTES + long.url.length + (long.referrer as string).length + (long.userAgent as string).length);
});

t.test('full by bytes before full by count; each row added is the bytes removed', async (t) => {
  const buffer = new MemoryBuffer(1000, 20 * KB);
  for (let i = 0; i < 10; i++) t.ok(buffer.push(sized(i, 2 * KB)), `row ${i} fits`);
  t.equal(buffer.bytes, 20 * KB);
  t.notOk(buffer.hasRoom(), 'no room at the budget');
  t.notOk(buffer.push(sized(10, 2 * KB)), 'the next row is refused');
  t.equal(buffer.size, 10, 'far below the count');
  const batch = buffer.peekBatch(4, 1e9);
  t.same(batch.map((r) => r.url), [0, 1, 2, 3].map((n) => `https://a.example/${n}`), 'oldest first');
  buffer.drop(batch);
  t.equal(buffer.bytes, 12 * KB, 'the dropped rows give their bytes back');
  t.ok(buffer.hasRoom());
  t.ok(buffer.push(sized(10, 8 * KB)), 'a row that fits what was freed');
  t.notOk(buffer.push(sized(11, 2 * KB)), 'and nothing beyond it');
  buffer.drop(buffer.peekAll());
  t.same([buffer.size, buffer.bytes], [0, 0], 'empty: nothing counted');
});

t.test('a row near the budget is refused only when it would go past it, not when it reaches it', async (t) => {
  const buffer = new MemoryBuffer(1000, 6 * KB);
  t.ok(buffer.push(sized(0, 4 * KB)));
  t.notOk(buffer.push(sized(1, 4 * KB)), '4 + 4 KiB is past 6 KiB');
  t.ok(buffer.push(sized(2, 2 * KB)), '4 + 2 KiB reaches it');
});

t.test('an empty buffer takes a row larger than the whole budget (else it would wait for ever)', async (t) => {
  const buffer = new MemoryBuffer(1000, 4 * KB);
  t.ok(buffer.push(sized(0, 10 * KB)));
  t.notOk(buffer.push(sized(1, 2 * KB)), 'then nothing else until it is written');
  buffer.drop(buffer.peekAll());
  t.equal(buffer.bytes, 0);
});

t.test('full by count before full by bytes', async (t) => {
  const buffer = new MemoryBuffer(3, 1e12);
  t.same([0, 1, 2, 3].map((n) => buffer.push(row(n))), [true, true, true, false]);
  t.notOk(buffer.hasRoom());
});

t.test('a budget that is not positive is refused', async (t) => {
  t.throws(() => new MemoryBuffer(10, 0), RangeError);
  t.throws(() => new MemoryBuffer(10, Number.NaN), RangeError);
});
