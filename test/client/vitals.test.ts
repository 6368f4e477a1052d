// The collector's layout-shift tracker and performance row (src/client/cls-tracker.ts, vitals.ts,
// page-lifecycle.ts), driven in Node through a fake window.
import t from 'tap';
import { clsTracker } from '../../src/client/cls-tracker.js';
import type { Win } from '../../src/client/environment.js';
import { start } from '../../src/client/start.js';
import { fakeWindow } from './fake-window.js';

t.test('clsTracker: session windows, the largest wins, input-driven shifts skipped', async (t) => {
  const cls = clsTracker();
  const shift = (startTime: number, value: number, hadRecentInput = false) => cls.addShift({ entryType: 'layout-shift', startTime, duration: 0, value, hadRecentInput });
  shift(100, 0.05);
  shift(600, 0.05); // same window: 0.1
  shift(900, 0.5, true); // after input: ignored
  shift(3000, 0.08); // gap > 1 s: new window 0.08
  t.equal(cls.score(), 0.1);
  shift(3500, 0.04); // 0.12
  t.equal(cls.score(), 0.12);
  for (let s = 10_000; s <= 16_000; s += 500) shift(s, 0.01); // 13 shifts, but a window lasts 5 s
  t.equal(cls.score(), 0.12, 'capped windows: 0.1 at most for these');
  const precise = clsTracker();
  precise.addShift({ entryType: 'layout-shift', startTime: 0, duration: 0, value: 0.123456 });
  t.equal(precise.score(), 0.1235, 'four decimals');
});

t.test('performance: vitals and engagement on first hidden, only engagement later, sent at once', async (t) => {
  const f = fakeWindow({ navigation: { responseStart: 123.6, domContentLoadedEventEnd: 480.2, loadEventEnd: 910.9 } });
  start(f.w, f.options());
  f.tick();
  f.emit('largest-contentful-paint', [{ startTime: 800.4 }, { startTime: 1500.6 }]);
  f.emit('layout-shift', [{ startTime: 100, value: 0.01 }, { startTime: 300, value: 0.02, hadRecentInput: true }]);
  f.queue('layout-shift', [{ startTime: 400, value: 0.03 }]); // only takeRecords() sees it
  f.emit('event', [{ duration: 56, interactionId: 7 }, { duration: 300, interactionId: 0 }, { duration: 88, interactionId: 9 }]);
  f.emit('first-input', [{ duration: 60 }]);
  f.advance(12_345.4);
  f.setHidden(true);
  t.equal(f.requests.length, 2, 'sent within the visibilitychange, not deferred');
  const perf = f.beacons().at(-1);
  t.equal(perf?.type, 'performance');
  t.same(perf?.payload, { ttfb: 124, domContentLoaded: 480, load: 911, lcp: 1501, cls: 0.04, inp: 88, engagementMs: 12345 });

  f.advance(60_000); // hidden: not engaged
  f.setHidden(false);
  f.advance(500);
  f.w.fire('pagehide');
  t.same(f.beacons().at(-1)?.payload, { engagementMs: 500 }, 'later: only the engagement since the last send');
  f.setHidden(true);
  f.w.fire('pagehide');
  f.tick();
  t.equal(f.requests.length, 3, 'nothing new to report: nothing sent');
});

t.test('performance: what the browser cannot measure is left out', async (t) => {
  const f = fakeWindow({ supportedEntryTypes: ['largest-contentful-paint', 'first-input'], hidden: true });
  start(f.w, f.options());
  f.tick();
  f.emit('first-input', [{ duration: 33.3 }]);
  f.setHidden(false);
  f.advance(1000);
  f.setHidden(true);
  t.same(f.beacons().at(-1)?.payload, { inp: 33, engagementMs: 1000 }, 'no cls without layout-shift, no navigation entry, no lcp seen; first-input as INP');

  const hiddenAtLoad = fakeWindow({ hidden: true });
  start(hiddenAtLoad.w, hiddenAtLoad.options());
  hiddenAtLoad.tick();
  hiddenAtLoad.advance(5000);
  hiddenAtLoad.w.fire('pagehide');
  t.same(hiddenAtLoad.requests, [], 'never visible: nothing at all (no pageview, no performance row)');

  const throwing = fakeWindow();
  throwing.w.PerformanceObserver = class {
    static supportedEntryTypes = undefined;
    constructor() {
      throw new TypeError('unsupported');
    }
  } as unknown as Win['PerformanceObserver'];
  delete throwing.w.performance;
  start(throwing.w, throwing.options());
  throwing.advance(250);
  throwing.setHidden(true);
  t.same(throwing.beacons().map((b) => [b.type, b.payload]), [['pageview', undefined], ['performance', { engagementMs: 250 }]]);
});
