import { format } from 'mysql2';
import { createPool, type Pool, type PoolConnection, type PoolOptions, type RowDataPacket } from 'mysql2/promise';
import {
  SinkRejectedError,
  SinkUnavailableError,
  type Batch,
  type PageviewRow,
  type SessionSnapshot,
  type Sink,
} from './sink.js';
import { PAGEVIEW_COLUMNS, SESSION_COLUMNS, pageviewValues, sessionValues, snapshotFromRow } from './columns.js';
import { SqlTime, sqlRows } from './sql-literals.js';

const PAGEVIEWS = PAGEVIEW_COLUMNS.join(', ');
const SESSIONS = SESSION_COLUMNS.join(', ');
const asTime = (ms: number) => new SqlTime(ms);
const toValues = (r: PageviewRow) => pageviewValues(r, asTime);
const toSessionValues = (s: SessionSnapshot) => sessionValues(s, asTime);

// Idempotent on beacon_id: a batch retried after a commit whose reply was lost inserts nothing twice.
// Not INSERT IGNORE, which would also turn data errors into silently truncated rows.
const INSERT_PAGEVIEWS = [`INSERT INTO pageviews (${PAGEVIEWS}) VALUES `, ' ON DUPLICATE KEY UPDATE beacon_id = beacon_id'] as const;


// Snapshots carry absolute values: GREATEST and "only if newer" make a retried or out-of-order
// flush a no-op instead of a double count. Assignments run left to right and later ones see the
// updated columns, so the "only if newer" ones come before the counts and last_seen_at change.
// VALUES() rather than the row alias: MariaDB does not take the alias syntax.
const UPSERT_SESSIONS = [
  `INSERT INTO sessions (${SESSIONS}) VALUES `,
  ' ON DUPLICATE KEY UPDATE ' +
  'exit_url = IF(VALUES(pageviews) > pageviews, VALUES(exit_url), exit_url), ' +
  'user_hash = IF(VALUES(last_seen_at) > last_seen_at, VALUES(user_hash), user_hash), ' +
  'pageviews = GREATEST(pageviews, VALUES(pageviews)), ' +
  'events = GREATEST(events, VALUES(events)), ' +
  'last_seen_at = GREATEST(last_seen_at, VALUES(last_seen_at))',
] as const;

const SELECT_ACTIVE_SESSIONS =
  `SELECT ${SESSIONS} FROM sessions WHERE last_seen_at >= ? ORDER BY last_seen_at DESC LIMIT ?`;

// Errors after which the same statement can succeed later: the server is away, busy or read-only.
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'ER_CON_COUNT_ERROR', 'ER_TOO_MANY_USER_CONNECTIONS',
  'ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT', 'ER_OPTION_PREVENTS_STATEMENT', 'ER_SERVER_SHUTDOWN',
  'ER_QUERY_INTERRUPTED', 'ER_CONNECTION_KILLED', 'ER_READ_ONLY_MODE', 'ER_CANT_LOCK', 'ER_OUT_OF_RESOURCES',
  'ER_NET_READ_ERROR', 'ER_NET_WRITE_INTERRUPTED', 'ER_NET_READ_INTERRUPTED', 'ER_NET_ERROR_ON_WRITE',
  'ER_DISK_FULL', 'ER_RECORD_FILE_FULL', 'ER_BAD_DB_ERROR', 'ER_NO_SUCH_TABLE', 'ER_ACCESS_DENIED_ERROR',
]);

// The same by server error number: mysql2 names codes after MySQL's list, and MariaDB numbers some
// errors differently (1927 is MariaDB's "connection killed"; 1792 a read-only transaction after failover).
const TRANSIENT_ERRNOS = new Set([1040, 1053, 1203, 1205, 1213, 1290, 1317, 1792, 1836, 1927, 2002, 2003, 2006, 2013]);

/** Maps a mysql2 error to the sink's typed errors so the writer decides retry vs reject without strings. */
export function classifyMysqlError(err: unknown): SinkUnavailableError | SinkRejectedError {
  const e = err as { code?: string; errno?: number; fatal?: boolean; message?: string };
  const code = e.code ?? 'UNKNOWN';
  const message = e.message ?? String(err);
  // A fatal error is a broken connection whatever its code says.
  if (TRANSIENT_CODES.has(code) || (e.errno !== undefined && TRANSIENT_ERRNOS.has(e.errno)) || e.fatal === true || e.errno === undefined) {
    return new SinkUnavailableError(message, { cause: err, code });
  }
  return new SinkRejectedError(message, { cause: err, code });
}

export interface MysqlSinkOptions {
  url: string;
  poolSize: number;
  /** A statement taking longer fails as transient (a database that hangs instead of refusing). */
  queryTimeoutMs?: number;
}

// Well above a healthy flush (milliseconds) and below the shutdown budget's default.
const DEFAULT_QUERY_TIMEOUT_MS = 8000;

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
    // mysql2 scans every statement for placeholders, even one with no values: the flush's statement
    // (hundreds of KB, values already written in) is sent as it is; the rest is formatted as usual.
    queryFormat: (sql: string, values: unknown) =>
      values === undefined || (Array.isArray(values) && values.length === 0) ? sql : format(sql, values as never, false, 'Z'),
  };
}

export class MysqlSink implements Sink {
  readonly description: string;
  readonly #pool: Pool;
  readonly #timeout: number;

  constructor(options: MysqlSinkOptions) {
    const url = new URL(options.url);
    this.description = `mysql ${url.hostname}:${url.port || 3306}${url.pathname}`;
    this.#pool = createPool(mysqlPoolOptions(options.url, options.poolSize));
    this.#timeout = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
    // CURRENT_TIMESTAMP defaults (created_at) follow the session time zone: make it UTC too.
    this.#pool.pool.on('connection', (conn) => {
      conn.query("SET time_zone = '+00:00'");
    });
  }

  async writeBatch({ rows, sessions }: Batch): Promise<void> {
    if (rows.length === 0 && sessions.length === 0) return;
    let conn: PoolConnection | undefined;
    try {
      conn = await this.#pool.getConnection();
      await conn.beginTransaction();
      // The values are written into the text (sql-literals.ts), not passed for mysql2 to format.
      if (rows.length > 0) await conn.query({ sql: INSERT_PAGEVIEWS[0] + sqlRows(rows.map(toValues)) + INSERT_PAGEVIEWS[1], timeout: this.#timeout });
      // Sorted by id: concurrent instances lock session rows in the same order, avoiding deadlocks.
      if (sessions.length > 0) {
        const ordered = [...sessions].sort((a, b) => (a.start.id < b.start.id ? -1 : 1));
        await conn.query({ sql: UPSERT_SESSIONS[0] + sqlRows(ordered.map(toSessionValues)) + UPSERT_SESSIONS[1], timeout: this.#timeout });
      }
      await conn.commit();
      conn.release();
    } catch (err) {
      if (conn !== undefined) await discard(conn, err);
      throw classifyMysqlError(err);
    }
  }

  async loadActiveSessions(since: number, limit: number): Promise<SessionSnapshot[]> {
    try {
      const [rows] = await this.#pool.query<RowDataPacket[]>(SELECT_ACTIVE_SESSIONS, [new Date(since), limit]);
      return rows.map((r) => snapshotFromRow(r, (v) => (v as Date).getTime()));
    } catch (err) {
      throw classifyMysqlError(err);
    }
  }

  async getOrCreateSalt(day: string, candidate: Buffer): Promise<Buffer> {
    try {
      // The primary key on day makes this race-free: whichever instance inserts first, all read its salt.
      await this.#pool.query('INSERT INTO salts (day, salt) VALUES (?, ?) ON DUPLICATE KEY UPDATE day = day', [
        day,
        candidate,
      ]);
      const [rows] = await this.#pool.query('SELECT salt FROM salts WHERE day = ?', [day]);
      const row = (rows as { salt: Buffer }[])[0];
      if (!row) throw new Error(`salt for ${day} vanished after insert`);
      return row.salt;
    } catch (err) {
      throw classifyMysqlError(err);
    }
  }

  async deleteSaltsBefore(day: string): Promise<number> {
    try {
      const [result] = await this.#pool.query('DELETE FROM salts WHERE day < ?', [day]);
      return (result as { affectedRows: number }).affectedRows;
    } catch (err) {
      throw classifyMysqlError(err);
    }
  }

  async deleteOlderThan(table: 'pageviews' | 'sessions', cutoff: number, limit: number): Promise<number> {
    const column = table === 'pageviews' ? 'server_timestamp' : 'last_seen_at';
    try {
      // Single-table DELETE ... LIMIT: each statement locks a few thousand index entries, not the table.
      const [result] = await this.#pool.query({ sql: `DELETE FROM ${table} WHERE ${column} < ? LIMIT ?`, timeout: this.#timeout }, [new Date(cutoff), limit]);
      return (result as { affectedRows: number }).affectedRows;
    } catch (err) {
      throw classifyMysqlError(err);
    }
  }

  async ping(): Promise<void> {
    try {
      await this.#pool.query({ sql: 'SELECT 1', timeout: 2000 });
    } catch (err) {
      throw classifyMysqlError(err);
    }
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}


/** Rolls back and returns the connection, or destroys it when the error broke it. */
async function discard(conn: PoolConnection, err: unknown): Promise<void> {
  if ((err as { fatal?: boolean }).fatal) {
    conn.destroy();
    return;
  }
  try {
    await conn.rollback();
    conn.release();
  } catch {
    conn.destroy();
  }
}
