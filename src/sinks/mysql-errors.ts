import { PAGEVIEW_COLUMNS, SESSION_COLUMNS } from './columns.js';
import { SinkRejectedError, SinkUnavailableError } from './sink.js';

// Errors after which the same statement can succeed later: the server is away, busy or read-only.
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'ER_CON_COUNT_ERROR', 'ER_TOO_MANY_USER_CONNECTIONS',
  'ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT', 'ER_OPTION_PREVENTS_STATEMENT', 'ER_SERVER_SHUTDOWN',
  'ER_QUERY_INTERRUPTED', 'ER_CONNECTION_KILLED', 'ER_READ_ONLY_MODE', 'ER_CANT_LOCK', 'ER_OUT_OF_RESOURCES',
  'ER_NET_READ_ERROR', 'ER_NET_WRITE_INTERRUPTED', 'ER_NET_READ_INTERRUPTED', 'ER_NET_ERROR_ON_WRITE',
  'ER_DISK_FULL', 'ER_RECORD_FILE_FULL', 'ER_BAD_DB_ERROR', 'ER_NO_SUCH_TABLE', 'ER_ACCESS_DENIED_ERROR',
]);

// Our column lists are fixed: an unknown column named like one of ours means the schema is behind the
// code (migrations still running after the database came back, or not applied), not a bad row. Any
// other unknown column is a value: mysql2 writes NaN and Infinity bare, read as column names.
const OUR_COLUMNS = new Set<string>([...PAGEVIEW_COLUMNS, ...SESSION_COLUMNS]);
const UNKNOWN_COLUMN = /^Unknown column '([^']*)'/;

// The same by server error number: mysql2 names codes after MySQL's list, and MariaDB numbers some
// errors differently (1927 is MariaDB's "connection killed"; 1792 a read-only transaction after failover).
// Also errors of the statement, not of its values, that an operator fixes: privileges revoked (1044,
// 1142), a Galera node not ready (1047), the storage engine failing or full (1030, 1180, 1206).
// Refusing those would dead-letter every row of every batch until someone noticed.
const TRANSIENT_ERRNOS = new Set([
  1030, 1040, 1044, 1047, 1053, 1142, 1180, 1203, 1205, 1206, 1213, 1290, 1317, 1792, 1836, 1927, 2002, 2003, 2006, 2013,
]);

/**
 * Maps an error from a statement to the sink's typed errors, so the writer decides retry vs refuse
 * without strings. Only what is known to be transient (the codes above, or a connection mysql2
 * marks broken) means "unavailable"; anything else, including an error that is no database error
 * at all (a TypeError from a value no statement can hold), is a refusal: the writer splits the
 * batch, dead-letters the row and goes on, instead of retrying one bad row for ever.
 */
export function classifyMysqlError(err: unknown): SinkUnavailableError | SinkRejectedError {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { code?: unknown; errno?: unknown; fatal?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : 'UNKNOWN';
  const message = typeof e.message === 'string' ? e.message : String(err);
  const schemaBehind = code === 'ER_BAD_FIELD_ERROR' && OUR_COLUMNS.has(UNKNOWN_COLUMN.exec(message)?.[1] ?? '');
  if (schemaBehind || TRANSIENT_CODES.has(code) || (typeof e.errno === 'number' && TRANSIENT_ERRNOS.has(e.errno)) || e.fatal === true) {
    return new SinkUnavailableError(message, { cause: err, code });
  }
  return new SinkRejectedError(message, { cause: err, code });
}
