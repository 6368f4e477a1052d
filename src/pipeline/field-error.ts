import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';

const SHOWN_VALUE = 32;

/**
 * One TypeBox error on a beacon field in words a sender acts on: the field, what it allows, and
 * what came (`type: must be one of pageview, … (got "foo")`). What is allowed is read from the
 * error's schema (the field table in beacon-schema.ts), so the text cannot drift from the rule.
 * Runs only for a broken item, never for a good one.
 */
export function describeFieldError(error: ValueError): string {
  const field = (error.path.split('/')[1] || 'item').slice(0, 32); // a key is the sender's text
  return `${field}: ${rule(error)}`;
}

function rule({ type, schema, value, message }: ValueError): string {
  const got = `(got ${shown(value)})`;
  switch (type) {
    case ValueErrorType.ObjectRequiredProperty:
      return 'missing (required)';
    case ValueErrorType.Union: {
      const allowed = literals(schema.anyOf);
      return allowed === null ? `${message} ${got}` : `must be one of ${allowed.join(', ')} ${got}`;
    }
    case ValueErrorType.String:
      return `must be a string ${got}`;
    case ValueErrorType.StringMinLength:
      return schema.minLength === 1 ? 'must not be empty' : `must be at least ${schema.minLength} characters (got ${(value as string).length})`;
    case ValueErrorType.StringMaxLength:
      return `must be at most ${schema.maxLength} characters (got ${(value as string).length})`;
    case ValueErrorType.Number:
      return `must be a number ${got}`;
    case ValueErrorType.Integer:
      return `must be a whole number ${got}`;
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.IntegerMinimum:
      return `must be at least ${schema.minimum} ${got}`;
    case ValueErrorType.NumberMaximum:
    case ValueErrorType.IntegerMaximum:
      return `must be at most ${schema.maximum} ${got}`;
    case ValueErrorType.Object:
      return `must be an object ${got}`;
    default:
      return message; // a rule the field table does not use yet
  }
}

/** The values of a union of literals (`Type.Union(BEACON_TYPES.map(Type.Literal))`), else null. */
function literals(anyOf: unknown): unknown[] | null {
  if (!Array.isArray(anyOf)) return null;
  const values = anyOf.map((s: { const?: unknown }) => s.const);
  return values.every((v) => v !== undefined) ? values : null;
}

/** A value as the sender wrote it, cut: it is echoed into logs and the debug answer. */
function shown(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  const json = JSON.stringify(value);
  return json.length > SHOWN_VALUE ? `${json.slice(0, SHOWN_VALUE)}…` : json;
}
