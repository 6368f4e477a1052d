// What every store implements. Nothing above this interface knows which store it has.

export type BeaconType = 'pageview' | 'event' | 'click' | 'error' | 'performance';

/** One accepted beacon, enriched and ready to store (columns of `pageviews`, minus id/created_at). */
export interface PageviewRow {
  beaconId: Buffer;
  url: string;
  hostname: string;
  type: BeaconType;
  eventName: string | null;
  userAgent: string | null;
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

export interface Sink extends SaltRepository {
  /** 'mysql' or 'sqlite', and where: for the start-up log line. */
  readonly description: string;
  /** Writes a batch atomically and idempotently (a retried batch never duplicates a row). */
  writeBatch(rows: readonly PageviewRow[]): Promise<void>;
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
