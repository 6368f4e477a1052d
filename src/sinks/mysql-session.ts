// What every connection of ours is set to before its first statement. mysql2 writes values into the
// statement text escaped with backslashes, which is right only without NO_BACKSLASH_ESCAPES (and a
// double-quoted string is an identifier under ANSI_QUOTES): a server whose global sql_mode has either
// would otherwise read a sender's `\'` as the end of a string. Strict, so a value too long for its
// column is refused instead of cut; UTC, so DATETIME values and CURRENT_TIMESTAMP defaults agree.
import type { PoolOptions } from 'mysql2/promise';

const SESSION_SQL_MODE = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION';

/** One statement, so a connection is either fully set up or not handed out. */
export const SESSION_SETUP = `SET SESSION sql_mode = '${SESSION_SQL_MODE}', SESSION time_zone = '+00:00'`;

/** Pool (and single-connection) options for a mysql:// URL. */
export function mysqlPoolOptions(url: string, poolSize: number): PoolOptions {
  return {
    uri: url,
    connectionLimit: poolSize,
    // Dates are written and read as UTC whatever the server's time zone.
    timezone: 'Z',
    charset: 'utf8mb4_unicode_ci',
    enableKeepAlive: true,
    connectTimeout: 5000,
    waitForConnections: true,
    // Bounded: while the database is away, callers must fail fast and keep their rows, not queue forever.
    queueLimit: 64,
  };
}
