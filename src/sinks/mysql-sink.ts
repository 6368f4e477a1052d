import { createPool, type Pool, type PoolConnection, type RowDataPacket } from 'mysql2/promise';
import { PAGEVIEW_COLUMNS, SESSION_COLUMNS, pageviewValues, sessionValues, snapshotFromRow } from './columns.js';
import { classifyMysqlError } from './mysql-errors.js';
import { mysqlPoolOptions, SESSION_SETUP } from './mysql-session.js';
import { SinkUnavailableError, type Batch, type PageviewRow, type SessionSnapshot, type Sink } from './sink.js';

const PAGEVIEWS = PAGEVIEW_COLUMNS.join(', ');
const SESSIONS = SESSION_COLUMNS.join(', ');
const asDate = (ms: number) => new Date(ms);
const toValues = (r: PageviewRow) => pageviewValues(r, asDate);
const toSessionValues = (s: SessionSnapshot) => sessionValues(s, asDate);

// Idempotent on beacon_id: a batch retried after a commit whose reply was lost inserts nothing twice.
// Not INSERT IGNORE, which would also turn data errors into silently truncated rows. mysql2 expands
// `VALUES ?` over the rows on the client (escaping for the session mode set in mysql-session.ts).
const INSERT_PAGEVIEWS = `INSERT INTO pageviews (${PAGEVIEWS}) VALUES ? ON DUPLICATE KEY UPDATE beacon_id = beacon_id`;

// Snapshots carry absolute values: GREATEST and "only if newer" make a retried or out-of-order
// flush a no-op instead of a double count. Assignments run left to right and later ones see the
// updated columns, so the "only if newer" ones come before the counts and last_seen_at change.
// VALUES() rather than the row alias: MariaDB does not take the alias syntax.
const UPSERT_SESSIONS =
  `INSERT INTO sessions (${SESSIONS}) VALUES ? ON DUPLICATE KEY UPDATE ` +
  'exit_url = IF(VALUES(pageviews) > pageviews, VALUES(exit_url), exit_url), ' +
  'user_hash = IF(VALUES(last_seen_at) > last_seen_at, VALUES(user_hash), user_hash), ' +
  'pageviews = GREATEST(pageviews, VALUES(pageviews)), ' +
  'events = GREATEST(events, VALUES(events)), ' +
  'last_seen_at = GREATEST(last_seen_at, VALUES(last_seen_at))';

const SELECT_ACTIVE_SESSIONS =
  `SELECT ${SESSIONS} FROM sessions WHERE last_seen_at >= ? ORDER BY last_seen_at DESC LIMIT ?`;

export interface MysqlSinkOptions {
  url: string;
  poolSize: number;
  /** A statement taking longer fails as transient (a database that hangs instead of refusing). */
  queryTimeoutMs?: number;
}

// Well above a healthy flush (milliseconds) and below the shutdown budget's default.
const DEFAULT_QUERY_TIMEOUT_MS = 8000;

export class MysqlSink implements Sink {
  readonly description: string;
  readonly #pool: Pool;
  readonly #timeout: number;
  // Connections whose session is set up (SESSION_SETUP): the core connection outlives the wrapper
  // mysql2/promise hands out per getConnection().
  readonly #ready = new WeakSet<object>();

  constructor(options: MysqlSinkOptions) {
    const url = new URL(options.url);
    this.description = `mysql ${url.hostname}:${url.port || 3306}${url.pathname}`;
    this.#pool = createPool(mysqlPoolOptions(options.url, options.poolSize));
    this.#timeout = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
  }

  async writeBatch({ rows, sessions }: Batch): Promise<void> {
    if (rows.length === 0 && sessions.length === 0) return;
    await this.#run(async (conn) => {
      await conn.beginTransaction();
      if (rows.length > 0) await conn.query({ sql: INSERT_PAGEVIEWS, timeout: this.#timeout }, [rows.map(toValues)]);
      // Sorted by id: concurrent instances lock session rows in the same order, avoiding deadlocks.
      if (sessions.length > 0) {
        const ordered = [...sessions].sort((a, b) => (a.start.id < b.start.id ? -1 : 1));
        await conn.query({ sql: UPSERT_SESSIONS, timeout: this.#timeout }, [ordered.map(toSessionValues)]);
      }
      await conn.commit();
    });
  }

  async loadActiveSessions(since: number, limit: number): Promise<SessionSnapshot[]> {
    const [rows] = await this.#run((conn) => conn.query<RowDataPacket[]>(SELECT_ACTIVE_SESSIONS, [new Date(since), limit]));
    return rows.map((r) => snapshotFromRow(r, (v) => (v as Date).getTime()));
  }

  async getOrCreateSalt(day: string, candidate: Buffer): Promise<Buffer> {
    const [rows] = await this.#run(async (conn) => {
      // The primary key on day makes this race-free: whichever instance inserts first, all read its salt.
      await conn.query('INSERT INTO salts (day, salt) VALUES (?, ?) ON DUPLICATE KEY UPDATE day = day', [day, candidate]);
      return conn.query<RowDataPacket[]>('SELECT salt FROM salts WHERE day = ?', [day]);
    });
    const row = rows[0] as { salt: Buffer } | undefined;
    if (!row) throw new SinkUnavailableError(`salt for ${day} vanished after insert`);
    return row.salt;
  }

  async deleteSaltsBefore(day: string): Promise<number> {
    const [result] = await this.#run((conn) => conn.query('DELETE FROM salts WHERE day < ?', [day]));
    return (result as { affectedRows: number }).affectedRows;
  }

  async deleteOlderThan(table: 'pageviews' | 'sessions', cutoff: number, limit: number): Promise<number> {
    const column = table === 'pageviews' ? 'server_timestamp' : 'last_seen_at';
    // Single-table DELETE ... LIMIT: each statement locks a few thousand index entries, not the table.
    const sql = `DELETE FROM ${table} WHERE ${column} < ? LIMIT ?`;
    const [result] = await this.#run((conn) => conn.query({ sql, timeout: this.#timeout }, [new Date(cutoff), limit]));
    return (result as { affectedRows: number }).affectedRows;
  }

  async ping(): Promise<void> {
    await this.#run((conn) => conn.query({ sql: 'SELECT 1', timeout: 2000 }));
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  /**
   * Runs `fn` on a connection whose session is ours, and returns it to the pool. Errors leave as
   * the sink's typed errors; a connection that could not be had or set up is "unavailable" (no
   * statement of the caller's ran, so its data cannot be at fault).
   */
  async #run<T>(fn: (conn: PoolConnection) => Promise<T>): Promise<T> {
    let conn: PoolConnection;
    try {
      conn = await this.#pool.getConnection();
      if (!this.#ready.has(conn.connection)) {
        try {
          await conn.query(SESSION_SETUP);
        } catch (err) {
          conn.destroy();
          throw err;
        }
        this.#ready.add(conn.connection);
      }
    } catch (err) {
      const e = err as { code?: string; message?: string };
      throw new SinkUnavailableError(e.message ?? String(err), { cause: err, code: e.code ?? 'UNKNOWN' });
    }
    try {
      const result = await fn(conn);
      conn.release();
      return result;
    } catch (err) {
      await discard(conn, err);
      throw classifyMysqlError(err);
    }
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
