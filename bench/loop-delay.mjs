// Preloaded by bench/profile.ts: the event loop's delay (perf_hooks, 1 ms resolution) from the
// first SIGURG to the second, written as JSON to LOOP_DELAY_PATH. What stalls every request at once
// (a long synchronous step) shows here as a long tail, whatever the load generator measures.
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const histogram = monitorEventLoopDelay({ resolution: 1 });
let on = false;
process.on('SIGURG', () => {
  if (!on) {
    on = true;
    histogram.enable();
    return;
  }
  histogram.disable();
  const ms = (ns) => Number((ns / 1e6).toFixed(1));
  writeFileSync(process.env.LOOP_DELAY_PATH, JSON.stringify({
    p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), p999: ms(histogram.percentile(99.9)), max: ms(histogram.max), count: histogram.count,
  }));
});
