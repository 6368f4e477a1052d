// Reading a tracker's JSON body: both protocols send one JSON object.

import { bodyText } from '../pipeline/decode-body.js';

/** A JSON body as a value, or undefined when it is not JSON (a leading BOM is allowed, as for /collect). */
export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(bodyText(body)) as unknown;
  } catch {
    return undefined;
  }
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
