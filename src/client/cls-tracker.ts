import type { PerfEntry } from './environment.js';

/** Layout shifts grouped like web-vitals' CLS: session windows (gaps under 1 s, at most 5 s long),
 * the largest window's sum wins; shifts right after input are expected and skipped. */
export function clsTracker(): { add(e: PerfEntry): void; value(): number } {
  let max = 0;
  let sum = 0;
  let first = 0;
  let last = 0;
  return {
    add(e) {
      if (e.hadRecentInput) return;
      if (sum && e.startTime - last < 1000 && e.startTime - first < 5000) sum += e.value || 0;
      else {
        sum = e.value || 0;
        first = e.startTime;
      }
      last = e.startTime;
      if (sum > max) max = sum;
    },
    value: () => Math.round(max * 1e4) / 1e4,
  };
}
