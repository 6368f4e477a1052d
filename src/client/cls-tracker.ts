import type { PerfEntry } from './environment.js';

/** Layout shifts grouped like web-vitals' CLS: session windows (gaps under 1 s, at most 5 s long),
 * the largest window's sum wins; shifts right after input are expected and skipped. */
export function clsTracker(): { addShift(e: PerfEntry): void; score(): number } {
  let max = 0;
  let sum = 0;
  let first = 0;
  let last = 0;
  return {
    addShift(e) {
      const t = e.startTime;
      if (e.hadRecentInput) return;
      if (sum && t - last < 1000 && t - first < 5000) sum += e.value || 0;
      else {
        sum = e.value || 0;
        first = t;
      }
      last = t;
      if (sum > max) max = sum;
    },
    score: () => +max.toFixed(4),
  };
}
