// What every store implements. Nothing above this interface knows which store it has.

export type BeaconType = 'pageview' | 'event' | 'click' | 'error' | 'performance';

/** What a session's first beacon fixes for good: id, start, landing page and first-touch attribution. */
export interface SessionStart {
  id: string;
  hostname: string;
  startedAt: number;
  entryUrl: string;
  entryReferrer: string | null;
  utmSource: string | null;
  utmMedium: string | null;
  utmCampaign: string | null;
  utmTerm: string | null;
  utmContent: string | null;
}

/**
 * A session's absolute state right after one beacon. Stores combine snapshots with GREATEST and
 * "only if newer", so applying one twice or out of order never double-counts or goes backwards.
 */
export interface SessionSnapshot {
  start: SessionStart;
  /** The visitor hash it was last seen under (it changes at UTC midnight). */
  userHash: string;
  /** Epoch ms of the last pageview, event or click. */
  lastSeenAt: number;
  pageviews: number;
  /** Events and clicks. */
  events: number;
  /** The last pageview's url. */
  exitUrl: string | null;
}

/** One accepted beacon, enriched and ready to store (columns of `pageviews`, minus id/created_at). */
export interface PageviewRow {
  beaconId: Buffer;
  url: string;
  hostname: string;
  type: BeaconType;
  eventName: string | null;
  userAgent: string | null;
  browser: string | null;
  os: string | null;
  device: 'desktop' | 'mobile' | 'tablet' | null;
  isBot: boolean;
  viewportWidth: number | null;
  viewportHeight: number | null;
  referrer: string | null;
  clientTimestamp: Date | null;
  serverTimestamp: Date;
  clientIp: string | null;
  sessionId: string | null;
  /** JSON text, already sanitised. */
  payload: string | null;
  userHash: string;
  geoCountry: string | null;
  /** The state this beacon left its session in; null when it did not change one (error, performance). */
  session: SessionSnapshot | null;
  /** Rough size of the row in a statement, so a batch stays far below max_allowed_packet. */
  approxBytes: number;
}

/** Daily salts, shared by all instances through the database. */
export interface SaltRepository {
  /** The salt stored for `day` (YYYY-MM-DD), storing `candidate` first if the day has none yet. */
  getOrCreateSalt(day: string, candidate: Buffer): Promise<Buffer>;
  /** Deletes the salts of days before `day`. */
  deleteSaltsBefore(day: string): Promise<number>;
}

export interface SessionRepository {
  /** Sessions last seen at or after `since` (epoch ms), most recent first, at most `limit`. */
  loadActiveSessions(since: number, limit: number): Promise<SessionSnapshot[]>;
}

/** What one flush writes, in one transaction. */
export interface Batch {
  rows: readonly PageviewRow[];
  /** The latest snapshot of each session the rows touched. */
  sessions: readonly SessionSnapshot[];
}

export interface RetentionRepository {
  /**
   * Deletes at most `limit` rows of `table` older than `cutoff` (epoch ms; pageviews by
   * server_timestamp, sessions by last_seen_at) and says how many: small batches, short locks.
   */
  deleteOlderThan(table: 'pageviews' | 'sessions', cutoff: number, limit: number): Promise<number>;
}

export interface Sink extends SaltRepository, SessionRepository, RetentionRepository {
  /** 'mysql' or 'sqlite', and where: for the start-up log line. */
  readonly description: string;
  /** Writes a batch atomically and idempotently (a retried batch never duplicates or double-counts). */
  writeBatch(batch: Batch): Promise<void>;
  /** Resolves when the store answers. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The store cannot be reached or is busy right now: keep the rows and retry later. */
export class SinkUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(message, options);
    this.name = 'SinkUnavailableError';
    this.code = options?.code;
  }
  readonly code: string | undefined;
}

/** The store refused the data itself: retrying the same rows will fail the same way. */
export class SinkRejectedError extends Error {
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(message, options);
    this.name = 'SinkRejectedError';
    this.code = options?.code;
  }
  readonly code: string | undefined;
}
