import t from 'tap';
import { DatabaseRecovery, type RecoveryLine } from '../../src/ops/database-recovery.js';

function recovery(waiting = () => 0) {
  let now = 50_000;
  const lines: RecoveryLine[] = [];
  const r = new DatabaseRecovery({ clock: () => now, waiting, report: (line) => lines.push(line) });
  return { r, lines, advance: (ms: number) => (now += ms) };
}

t.test('after failed flushes, the next successful one reports once: how long, how many failures, rows written and still waiting', async (t) => {
  let waiting = 900;
  const { r, lines, advance } = recovery(() => waiting);
  r.flushed(100);
  t.same(lines, [], 'a flush with no failure before it says nothing');
  t.equal(r.away, false);
  r.failed();
  t.equal(r.away, true, 'away from the first failure');
  advance(4000);
  r.failed();
  advance(8500);
  r.failed();
  advance(500);
  r.flushed(1000);
  t.same(lines, [{ awaySeconds: 13, failedFlushes: 3, rows: 1000, waiting: 900 }]);
  t.equal(r.away, false, 'back at the first success');
  waiting = 0;
  r.flushed(900);
  t.equal(lines.length, 1, 'once per outage');
  r.failed();
  advance(2000);
  r.flushed(5);
  t.same(lines[1], { awaySeconds: 2, failedFlushes: 1, rows: 5, waiting: 0 }, 'the next outage is its own');
});
