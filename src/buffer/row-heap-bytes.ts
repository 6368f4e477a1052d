import type { PageviewRow } from '../sinks/sink.js';

// Measured (heap after GC over 5,000 rows taken through POST /collect): a row of short strings takes
// ~920 bytes (the object, its beacon id Buffer, two Dates, the session snapshot, string headers);
// large ones 2-4% less than this estimates. Rounded up: the budget is a ceiling, so it errs high.
export const ROW_FIXED_BYTES = 1024;

// V8 stores a string at one byte a character unless one of them is above U+00FF, then the whole
// string at two. On a one-byte string V8 answers this without scanning it.
const TWO_BYTE = /[^\x00-\xff]/;

function stringBytes(s: string | null): number {
  if (s === null) return 0;
  return TWO_BYTE.test(s) ? 2 * s.length : s.length;
}

/**
 * Estimated heap bytes of a row held in memory. Not `approxBytes`, which estimates its size in a
 * statement: that counts characters, so a payload in CJK takes twice what it says. Depends only on
 * fields no one changes after the row is made, so the bytes added for a row are the bytes removed.
 */
export function rowHeapBytes(row: PageviewRow): number {
  return (
    ROW_FIXED_BYTES + stringBytes(row.url) + stringBytes(row.referrer) + stringBytes(row.payload) + stringBytes(row.userAgent) + stringBytes(row.eventName)
  );
}
