// Reading a tracker's JSON body: both protocols send one JSON object.

const EXCERPT = 80;

/** A rejection's detail: the start of what was sent. */
export function excerpt(s: string): string {
  return s.length > EXCERPT ? `${s.slice(0, EXCERPT)}…` : s;
}

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
