// Reading a tracker's JSON body: both protocols send one JSON object.

// A rejection's detail, as for COLLECT_PATH's bodies.
export { excerpt } from '../pipeline/decode-body.js';

/** A JSON body as a value, or undefined when it is not JSON (a leading BOM is allowed, as for /collect). */
export function parseJson(body: Buffer): unknown {
  let text = body.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
