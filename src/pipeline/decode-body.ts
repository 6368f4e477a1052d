import { MAX_BATCH, NUMERIC_FIELDS } from './beacon-schema.js';

export type DecodeRejection = 'invalid_json' | 'invalid_schema' | 'unsupported_type';

/** A request body turned into beacon items, or why it could not be. `count` is how many beacons it held. */
export type Decoded =
  | { ok: true; items: unknown[] }
  | { ok: false; reason: DecodeRejection; count: number; excerpt: string };

const EXCERPT = 80;
const DECIMAL = /^-?\d+(\.\d+)?$/;

/** The media type of a Content-Type header, lower-cased, without parameters. */
export function mediaType(contentType: string | undefined): string {
  if (contentType === undefined) return '';
  const semi = contentType.indexOf(';');
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

/**
 * Decodes a raw /collect body: JSON (application/json, or text/plain as sendBeacon sends it
 * without a preflight; also a body with no Content-Type), urlencoded or multipart form fields,
 * or JSON labelled urlencoded (`curl -d`).
 * The outer shape is checked here (an object, or an array of at most 50); items are not.
 */
export async function decodeBody(contentType: string | undefined, body: Buffer): Promise<Decoded> {
  const type = mediaType(contentType);
  switch (type) {
    case 'application/json':
    case 'text/plain':
    case '':
      return decodeJson(body);
    case 'application/x-www-form-urlencoded':
      return decodeForm(body);
    case 'multipart/form-data':
      return decodeMultipart(contentType as string, body);
    default:
      return { ok: false, reason: 'unsupported_type', count: 1, excerpt: excerpt(type) };
  }
}

/**
 * The tracking pixel's query string (`?url=…&type=…`), read like a urlencoded body: one beacon.
 * `fallbackUrl` (the Referer header) stands in for a missing `url`, as for a noscript `<img>`.
 */
export function decodeQuery(query: string, fallbackUrl: string | undefined): Decoded {
  const item = formToBeacon(new URLSearchParams(query));
  if (item.url === undefined && fallbackUrl !== undefined) item.url = fallbackUrl;
  return { ok: true, items: [item] };
}

/** A body as UTF-8 text, without a leading BOM (a file saved with one, sent by `curl -d @file`). */
export function bodyText(body: Buffer): string {
  const text = body.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function decodeJson(body: Buffer): Decoded {
  const text = bodyText(body);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'invalid_json', count: 1, excerpt: excerpt(text) };
  }
  return shape(value, body);
}

/**
 * `curl -d '{"url":…}'` and many libraries' "send a string" label JSON as a form. Read as a form
 * it is one key with an empty value, and no beacon: so a body that is a JSON object or array is
 * that JSON, whether sent raw (its `+`, `&`, `=` and `%` are then JSON's, not form syntax) or
 * percent-encoded as the form's only key. A genuine form starts with a field name, never `{`/`[`.
 */
function decodeForm(body: Buffer): Decoded {
  const text = bodyText(body);
  const json = jsonContainer(text);
  if (json !== undefined) return shape(json, body);
  const fields = new URLSearchParams(text);
  if (fields.size === 1) {
    const [key, value] = fields.entries().next().value as [string, string];
    const encoded = value === '' ? jsonContainer(key) : undefined;
    if (encoded !== undefined) return shape(encoded, body);
  }
  return shape(formToBeacon(fields), body);
}

/** `text` parsed when it is a JSON object or array; undefined otherwise (without trying, mostly). */
function jsonContainer(text: string): object | undefined {
  const first = text.trimStart().charCodeAt(0);
  if (first !== 0x7b && first !== 0x5b) return undefined; // { [
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

async function decodeMultipart(contentType: string, body: Buffer): Promise<Decoded> {
  let form: FormData;
  try {
    // undici's multipart parser, built into Node: no extra dependency for a body of at most 64 KiB.
    form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
  } catch {
    return { ok: false, reason: 'invalid_json', count: 1, excerpt: excerpt(body.toString('latin1')) };
  }
  const fields = new Map<string, string>();
  for (const [key, value] of form) if (typeof value === 'string') fields.set(key, value); // files ignored
  return shape(formToBeacon(fields), body);
}

/** Form fields arrive as strings: numbers are coerced and `payload` is parsed as JSON. */
function formToBeacon(fields: Iterable<[string, string]>): Record<string, unknown> {
  // Null prototype: a field named __proto__ stays a field.
  const item: Record<string, unknown> = Object.create(null);
  for (const [key, value] of fields) {
    if (NUMERIC_FIELDS.has(key)) item[key] = DECIMAL.test(value.trim()) ? Number(value) : value;
    else if (key === 'payload') item[key] = parseJsonField(value);
    else item[key] = value;
  }
  return item;
}

function parseJsonField(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value; // left as a string: the payload rule turns it into NULL, counted
  }
}

function shape(value: unknown, body: Buffer): Decoded {
  if (Array.isArray(value)) {
    if (value.length > MAX_BATCH) {
      return { ok: false, reason: 'invalid_schema', count: value.length, excerpt: `batch of ${value.length} items (max ${MAX_BATCH})` };
    }
    return { ok: true, items: value };
  }
  if (typeof value === 'object' && value !== null) return { ok: true, items: [value] };
  return { ok: false, reason: 'invalid_schema', count: 1, excerpt: excerpt(body.toString('utf8')) };
}

/** A rejection's detail: the start of what was sent (also the trackers' adapters'). */
export function excerpt(s: string): string {
  return s.length > EXCERPT ? s.slice(0, EXCERPT) + '…' : s;
}
