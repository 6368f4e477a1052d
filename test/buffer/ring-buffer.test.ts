import t from 'tap';
import { RingBuffer } from '../../src/buffer/ring-buffer.js';

t.test('overflows at exactly the configured capacity, not the rounded-up size', async (t) => {
  const ring = new RingBuffer<number>(5);
  for (let i = 0; i < 5; i++) t.ok(ring.push(i));
  t.notOk(ring.push(5), 'sixth push refused');
  t.equal(ring.size, 5);
  t.same(ring.peek(10), [0, 1, 2, 3, 4]);
});

t.test('peek does not remove; drop removes the oldest; wraps around', async (t) => {
  const ring = new RingBuffer<number>(4);
  let next = 0;
  const seen: number[] = [];
  for (let round = 0; round < 10; round++) {
    while (ring.push(next)) next++;
    const batch = ring.peek(3);
    t.same(ring.peek(3), batch, 'peek is repeatable');
    ring.drop(batch.length);
    seen.push(...batch);
  }
  seen.push(...ring.peek(10));
  t.same(seen, Array.from({ length: next }, (_, i) => i), 'FIFO order across wrap-arounds');
  t.equal(ring.at(0), seen.at(-ring.size));
  t.equal(ring.at(ring.size), undefined);
});

t.test('rejects a bad capacity', async (t) => {
  t.throws(() => new RingBuffer(0), RangeError);
  t.throws(() => new RingBuffer(1.5), RangeError);
});
