import t from 'tap';
import { DatabaseProbe } from '../../src/sinks/database-probe.js';

function probe(pingResult: () => Promise<void>, failing = () => false) {
  const clock = { now: 0 };
  let pings = 0;
  const p = new DatabaseProbe({ ping: () => (pings++, pingResult()), failing, intervalMs: 1000, now: () => clock.now });
  return { p, clock, pings: () => pings };
}

t.test('concurrent callers share one ping; callers within the interval get its answer without one', async (t) => {
  const { p, clock, pings } = probe(() => Promise.resolve());
  t.same(await Promise.all(Array.from({ length: 100 }, () => p.state())), new Array(100).fill('up'));
  t.equal(pings(), 1);
  clock.now = 999;
  t.equal(await p.state(), 'up');
  t.equal(pings(), 1, 'still within the second');
  clock.now = 1000;
  await p.state();
  t.equal(pings(), 2, 'one more after a second');
});

t.test('a failed ping says down; a failing writer says down without a ping', async (t) => {
  let up = false;
  let failing = false;
  const { p, clock, pings } = probe(() => (up ? Promise.resolve() : Promise.reject(new Error('ECONNREFUSED'))), () => failing);
  t.equal(await p.state(), 'down');
  up = true;
  clock.now = 1000;
  t.equal(await p.state(), 'up');
  failing = true;
  clock.now = 5000;
  t.equal(await p.state(), 'down');
  t.equal(pings(), 2, 'the writer knew: no ping');
});
