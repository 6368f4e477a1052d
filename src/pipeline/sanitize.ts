// The sanitising rule of docs/wire-format.md (sanitising), as pure string functions.

// C0 and C1 control characters (Unicode category Cc: U+0000-U+001F, U+007F-U+009F).
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const HAS_CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// Anything shaped like a tag: "<" then a letter, "/", "!" or "?", up to the next ">". A lone "<"
// as in "a < b" is not a tag.
const TAG = /<[A-Za-z/!?][^>]*>/g;
const HAS_TAG = /<[A-Za-z/!?]/;
// What is left of a tag opener with no ">" after it: "<img src=x onerror=..." at the end of a
// string would still open a tag when pasted into a page before other markup, so its "<" goes
// (the text stays: "price<max" becomes "pricemax").
const OPENER = /<(?=[A-Za-z/!?])/g;

/** Removes C0/C1 control characters and repairs lone surrogates (which no column can hold). */
export function stripControl(s: string): string {
  if (HAS_CONTROL.test(s)) s = s.replace(CONTROL, '');
  return s.isWellFormed() ? s : s.toWellFormed();
}

/**
 * Removes control characters and tag-shaped text. Repeats until nothing tag-shaped is left, so
 * "<<b>script>" cannot reassemble into "<script>" after one pass, nor "<<img" into "<img".
 */
export function stripMarkup(s: string): string {
  s = stripControl(s);
  // Each pass removes at least one character, so this ends.
  while (HAS_TAG.test(s)) {
    const next = s.replace(TAG, '');
    s = next === s ? s.replace(OPENER, '') : next;
  }
  return s;
}

/**
 * A URL as stored: the WHATWG serialisation, which percent-encodes control characters, spaces,
 * `<`, `>` and `"`, plus `'`, which it leaves alone in paths (a single-quoted HTML attribute
 * built from a stored URL must not be breakable).
 */
export function serializeUrl(url: URL): string {
  const href = url.href;
  return href.includes("'") ? href.replaceAll("'", '%27') : href;
}

/** Cuts to at most `max` characters (code points, as utf8mb4 VARCHAR counts them). */
export function cut(s: string, max: number): string {
  if (s.length <= max) return s; // UTF-16 units >= code points: nothing to cut
  let count = 0;
  let end = 0;
  for (const ch of s) {
    if (count === max) break;
    count++;
    end += ch.length;
  }
  return s.slice(0, end);
}

const TOO_DEEP = Symbol('too deep');

/**
 * The payload as stored JSON text: every string (keys too) loses markup and control characters.
 * Null when it nests deeper than `maxDepth` (the payload object itself is depth 1) or its JSON
 * exceeds `maxBytes` UTF-8 bytes.
 */
export function sanitizePayload(payload: object, maxDepth: number, maxBytes: number): string | null {
  const clean = cleanValue(payload, 1, maxDepth);
  if (clean === TOO_DEEP) return null;
  const json = JSON.stringify(clean);
  // Length in UTF-16 units is a lower bound of the byte length: measure bytes only when it matters.
  if (json.length > maxBytes || (json.length * 3 > maxBytes && Buffer.byteLength(json) > maxBytes)) return null;
  return json;
}

function cleanValue(value: unknown, depth: number, maxDepth: number): unknown {
  if (typeof value === 'string') return stripMarkup(value);
  if (typeof value !== 'object' || value === null) return value;
  if (depth > maxDepth) return TOO_DEEP;
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const v = cleanValue(value[i], depth + 1, maxDepth);
      if (v === TOO_DEEP) return TOO_DEEP;
      out[i] = v;
    }
    return out;
  }
  // A null-prototype object: a "__proto__" key stays a plain key and cannot reach a prototype.
  const out: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(value)) {
    const v = cleanValue((value as Record<string, unknown>)[key], depth + 1, maxDepth);
    if (v === TOO_DEEP) return TOO_DEEP;
    out[stripMarkup(key)] = v;
  }
  return out;
}
