// The wire format's field table (docs/wire-format.md) as TypeBox schemas.
import { Type, type Static } from '@sinclair/typebox';

export const BEACON_TYPES = ['pageview', 'event', 'click', 'error', 'performance'] as const;
export const MAX_BATCH = 50;
export const BODY_LIMIT = 64 * 1024;
export const MAX_URL = 2048;
export const MAX_NAME = 64;
export const MAX_PAYLOAD_BYTES = 8 * 1024;
export const MAX_PAYLOAD_DEPTH = 4;
export const MAX_CLIENT_AGE_MS = 7 * 86_400_000;
export const MAX_CLIENT_AHEAD_MS = 3_600_000;

const Viewport = Type.Integer({ minimum: 1, maximum: 10_000 });

/** One beacon after aliases are mapped (event_type -> type, ...) and unknown fields dropped. */
export const BeaconSchema = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: MAX_URL }),
    type: Type.Union(BEACON_TYPES.map((t) => Type.Literal(t))),
    name: Type.Optional(Type.String({ maxLength: MAX_NAME })),
    referrer: Type.Optional(Type.String({ maxLength: MAX_URL })),
    timestamp: Type.Optional(Type.Number()),
    viewportW: Type.Optional(Viewport),
    viewportH: Type.Optional(Viewport),
    payload: Type.Optional(Type.Object({})),
  },
  { additionalProperties: false },
);
export type Beacon = Static<typeof BeaconSchema>;

/** Fields whose failure drops the whole beacon; any other broken field is stored NULL. */
export const REQUIRED_FIELDS: ReadonlySet<string> = new Set(['url', 'type']);

/**
 * Wire names, including aliases, mapped to the schema's names. userAgent and sessionId are ignored.
 * A Map: a plain object would answer Object.prototype for "__proto__" and a function for "constructor".
 */
export const FIELD_ALIASES: ReadonlyMap<string, keyof Beacon> = new Map(Object.entries({
  url: 'url',
  type: 'type',
  event_type: 'type',
  name: 'name',
  event_name: 'name',
  referrer: 'referrer',
  timestamp: 'timestamp',
  viewportW: 'viewportW',
  viewport_w: 'viewportW',
  viewportH: 'viewportH',
  viewport_h: 'viewportH',
  payload: 'payload',
} satisfies Record<string, keyof Beacon>) as [string, keyof Beacon][]);

/** Fields that arrive as strings in form bodies and are coerced to numbers. */
export const NUMERIC_FIELDS: ReadonlySet<string> = new Set(['timestamp', 'viewportW', 'viewport_w', 'viewportH', 'viewport_h']);
