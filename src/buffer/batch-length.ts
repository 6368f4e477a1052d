import type { PageviewRow } from '../sinks/sink.js';

/**
 * How many of the rows `at(0)`, `at(1)` … go into one statement: at most `maxRows`, and no more
 * than `maxBytes` in approximate size, but always the first row (one row larger than the cap is
 * still written, or it would wait for ever).
 */
export function batchLength(at: (i: number) => PageviewRow | undefined, maxRows: number, maxBytes: number): number {
  let rows = 0;
  let bytes = 0;
  for (let row = at(0); row !== undefined && rows < maxRows; row = at(rows)) {
    if (rows > 0 && bytes + row.approxBytes > maxBytes) break;
    bytes += row.approxBytes;
    rows++;
  }
  return rows;
}
