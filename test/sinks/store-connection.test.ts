// Reaching the store in the background: the start waits only for a first answer, tasks wait for
// the store and run in order once it answers, failures are reported with their attempt number.
import t from 'tap';
import { StoreConnection } from '../../src/sinks/store-connection.js';
import type { Sink } from '../../src/sinks/sink.js';

function flakySink(failures: number): { sink: Sink; pings: () => number } {
  let pings = 0;
  const sink = {
    ping: async () => {
      pings++;
      if (pings <= failures) throw new Error('connect ECONNREFUSED');
    },
  } as unknown as Sink;
  return { sink, pings: () => pings };
}

t.test('down at start: start() returns after the first failure; tasks run in order once it answers', async (t) => {
  const { sink, pings } = flakySink(2);
  const failures: number[] = [];
  const order: string[] = [];
  let reached = 0;
  const store = new StoreConnection({
    sink, migrate: null, retryBaseMs: 10, retryMaxMs: 20,
    onFailure: (_err, attempt) => failures.push(attempt),
    onReached: () => reached++,
  });
  t.teardown(() => store.close());
  await store.start(5000);
  t.equal(store.reached, false);
  t.same(failures, [1], 'returned after the first attempt failed, not after the wait');
  store.whenReached(async () => {
    await new Promise((r) => setTimeout(r, 20));
    order.push('sessions');
  });
  store.whenReached(() => {
    order.push('salts');
  });
  store.whenReached(() => {
    throw new Error('a failing task');
  });
  store.whenReached(() => {
    order.push('writer');
  });
  while (order.length < 3) await new Promise((r) => setTimeout(r, 5));
  t.equal(store.reached, true);
  t.same(failures, [1, 2]);
  t.equal(pings(), 3);
  t.equal(reached, 1);
  t.same(order, ['sessions', 'salts', 'writer'], 'in order, one failing task does not stop the next');
  let late = false;
  store.whenReached(() => {
    late = true;
  });
  await new Promise((r) => setTimeout(r, 5));
  t.ok(late, 'a task added once reached runs at once');
});

t.test('migrations run before the ping, on every attempt until one succeeds', async (t) => {
  const { sink } = flakySink(0);
  let migrations = 0;
  const store = new StoreConnection({
    sink,
    migrate: async () => {
      migrations++;
      if (migrations === 1) throw new Error('ER_ACCESS_DENIED_ERROR');
      return { applied: ['1.do.x'] };
    },
    retryBaseMs: 10,
    onFailure: () => {},
    onReached: (applied) => t.same(applied, ['1.do.x']),
  });
  t.teardown(() => store.close());
  await store.start(5000);
  while (!store.reached) await new Promise((r) => setTimeout(r, 5));
  t.equal(migrations, 2);
});
