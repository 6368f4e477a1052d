import { type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ConfigError } from './config-error.js';
import { EnvSchema, type Env } from './env-schema.js';

/** Variables whose values never appear in an error message. */
const SECRET_VARS = new Set(['HASH_SECRET', 'METRICS_TOKEN', 'DATABASE_URL', 'DATABASE_PASSWORD', 'REDIS_URL']);

/**
 * The environment as the schema's types, defaults filled in. Throws ConfigError naming the first
 * variable that does not fit, with its value unless it is a secret.
 */
export function readEnv(env: NodeJS.ProcessEnv): Env {
  const raw = coerceEnv(env);
  const first = Value.Errors(EnvSchema, raw).First();
  if (first) {
    const variable = first.path.replace(/^\//, '') || 'environment';
    const got = SECRET_VARS.has(variable) ? '' : ` (got ${JSON.stringify(env[variable])})`;
    throw new ConfigError(variable, `${describe(first.schema, first.message)}${got}`);
  }
  return raw as Env;
}

/**
 * Strings to schema types, strictly: "1.5" is not an integer and "yes" is not a boolean
 * (TypeBox's Value.Convert would quietly turn them into 1 and leave the typo unnoticed).
 * Empty values count as unset; defaults fill what is unset.
 */
function coerceEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(EnvSchema.properties) as [string, TSchema][]) {
    const value = env[name]?.trim();
    if (value === undefined || value === '') {
      if ('default' in schema) out[name] = schema.default;
      continue;
    }
    if (schema.type === 'integer') out[name] = /^-?\d+$/.test(value) ? Number(value) : value;
    else if (schema.type === 'boolean') {
      const lower = value.toLowerCase();
      out[name] = lower === 'true' || lower === '1' ? true : lower === 'false' || lower === '0' ? false : value;
    } else out[name] = value;
  }
  return out;
}

// TypeBox says "Expected integer"; whoever set the variable needs the values it takes.
function describe(schema: TSchema, fallback: string): string {
  if (schema.type === 'integer') {
    const range =
      schema.minimum !== undefined && schema.maximum !== undefined
        ? ` from ${schema.minimum} to ${schema.maximum}`
        : schema.minimum !== undefined
          ? ` of at least ${schema.minimum}`
          : '';
    return `must be an integer${range}`;
  }
  if (schema.type === 'boolean') return 'must be true or false';
  if (Array.isArray(schema.anyOf)) {
    return `must be one of ${schema.anyOf.map((s: TSchema) => String(s.const)).join(', ')}`;
  }
  if (schema.minLength !== undefined) return `must be at least ${schema.minLength} characters`;
  return fallback;
}
