import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database, { type Statement } from './sqlite-driver.js';
import {
  SinkRejectedError,
  SinkUnavailableError,
  type Batch,
  type PageviewRow,
  type SessionSnapshot,
  type Sink,
} from './sink.js';
import { PAGEVIEW_COLUMNS, SESSION_COLUMNS, pageviewValues, sessionValues, snapshotFromRow } from './columns.js';

const asIso = (ms: number) => new Date(ms).toISOString();
const toValues = (r: PageviewRow) => pageviewValues(r, asIso);
const toSessionValues = (s: SessionSnapshot) => sessionValues(s, asIso);
const params = (n: number) => Array.from({ length: n }, () => '?').join(', ');

// Idempotent on beacon_id, like the MySQL sink; other constraint failures still raise.
const INSERT_PAGEVIEW = `INSERT INTO pageviews (${PAGEVIEW_COLUMNS.join(', ')}) VALUES (${params(PAGEVIEW_COLUMNS.length)}) ON CONFLICT (beacon_id) DO NOTHING`;
// SQLite's SET expressions all see the row as it was, so the order of assignments does not matter here.
const UPSERT_SESSION =
  `INSERT INTO sessions (${SESSION_COLUMNS.join(', ')}) VALUES (${params(SESSION_COLUMNS.length)}) ON CONFLICT (session_id) DO UPDATE SET ` +
  'exit_url = CASE WHEN excluded.pageviews > sessions.pageviews THEN excluded.exit_url ELSE sessions.exit_url END, ' +
  'user_hash = CASE WHEN excluded.last_seen_at > sessions.last_seen_at THEN excluded.user_hash ELSE sessions.user_hash END, ' +
  'pageviews = max(sessions.pageviews, excluded.pageviews), ' +
  'events = max(sessions.events, excluded.events), ' +
  'last_seen_at = max(sessions.last_seen_at, excluded.last_seen_at)';

// Busy, locked, I/O errors, a full or read-only disk: the same write can succeed later.
const TRANSIENT = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|READONLY|CANTOPEN|PROTOCOL|NOMEM|INTERRUPT)/;

export function classifySqliteError(err: unknown): SinkUnavailableError | SinkRejectedError {
  const code = (err as { code?: string }).code ?? 'UNKNOWN';
  const message = (err as Error).message ?? String(err);
  return TRANSIENT.test(code) ? new SinkUnavailableError(message, { cause: err, code }) : new SinkRejectedError(message, { cause: err, code });
}

/** Opens the file with the settings every connection uses: WAL journal, a busy wait instead of an error. */
export function openSqlite(path: string): Database {
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode: a commit survives a process crash; a power cut may lose the last commits.
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  return db;
}

/**
 * The embedded store: one SQLite file (better-sqlite3). Writes are synchronous but short (a
 * batch is one transaction of prepared statements, about a millisecond per hundred rows), which
 * suits a single small site; MySQL is the production path.
 */
export class SqliteSink implements Sink {
  readonly description: string;
  readonly #db: Database;
  readonly #write: (batch: Batch) => void;
  readonly #insertSalt: Statement;
  readonly #selectSalt: Statement;
  readonly #deleteSalts: Statement;
  readonly #activeSessions: Statement;
  readonly #deletePageviews: Statement;
  readonly #deleteSessions: Statement;

  constructor(path: string) {
    this.description = `sqlite ${path}`;
    this.#db = openSqlite(path);
    const insertPageview = this.#db.prepare(INSERT_PAGEVIEW);
    const upsertSession = this.#db.prepare(UPSERT_SESSION);
    this.#write = this.#db.transaction(({ rows, sessions }: Batch) => {
      for (const r of rows) insertPageview.run(toValues(r));
      for (const s of sessions) upsertSession.run(toSessionValues(s));
    });
    this.#insertSalt = this.#db.prepare('INSERT INTO salts (day, salt) VALUES (?, ?) ON CONFLICT (day) DO NOTHING');
    this.#selectSalt = this.#db.prepare('SELECT salt FROM salts WHERE day = ?');
    this.#deleteSalts = this.#db.prepare('DELETE FROM salts WHERE day < ?');
    this.#deletePageviews = this.#db.prepare('DELETE FROM pageviews WHERE id IN (SELECT id FROM pageviews WHERE server_timestamp < ? LIMIT ?)');
    this.#deleteSessions = this.#db.prepare('DELETE FROM sessions WHERE session_id IN (SELECT session_id FROM sessions WHERE last_seen_at < ? LIMIT ?)');
    this.#activeSessions = this.#db.prepare(`SELECT ${SESSION_COLUMNS.join(', ')} FROM sessions WHERE last_seen_at >= ? ORDER BY last_seen_at DESC LIMIT ?`);
  }

  async writeBatch(batch: Batch): Promise<void> {
    if (batch.rows.length === 0 && batch.sessions.length === 0) return;
    try {
      this.#write(batch);
    } catch (err) {
      throw classifySqliteError(err);
    }
  }

  async getOrCreateSalt(day: string, candidate: Buffer): Promise<Buffer> {
    try {
      this.#insertSalt.run(day, candidate);
      const row = this.#selectSalt.get(day) as { salt: Buffer } | undefined;
      if (!row) throw new Error(`salt for ${day} vanished after insert`);
      return row.salt;
    } catch (err) {
      throw classifySqliteError(err);
    }
  }

  async deleteSaltsBefore(day: string): Promise<number> {
    try {
      return this.#deleteSalts.run(day).changes;
    } catch (err) {
      throw classifySqliteError(err);
    }
  }

  async loadActiveSessions(since: number, limit: number): Promise<SessionSnapshot[]> {
    try {
      return (this.#activeSessions.all(new Date(since).toISOString(), limit) as Record<string, unknown>[]).map((r) => snapshotFromRow(r, (v) => Date.parse(String(v))));
    } catch (err) {
      throw classifySqliteError(err);
    }
  }

  async deleteOlderThan(table: 'pageviews' | 'sessions', cutoff: number, limit: number): Promise<number> {
    const stmt = table === 'pageviews' ? this.#deletePageviews : this.#deleteSessions;
    try {
      return stmt.run(new Date(cutoff).toISOString(), limit).changes;
    } catch (err) {
      throw classifySqliteError(err);
    }
  }

  async ping(): Promise<void> {
    try {
      this.#db.prepare('SELECT 1').get();
    } catch (err) {
      throw classifySqliteError(err);
    }
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}
