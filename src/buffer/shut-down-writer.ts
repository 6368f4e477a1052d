import type { BatchWriter } from './batch-writer.js';
import type { Spool } from './spool.js';

export interface ShutdownOptions {
  spool: Spool;
  wal: Spool | null;
  /** SHUTDOWN_TIMEOUT_MS: how long the database gets to take what is buffered. */
  timeoutMs: number;
}

export interface ShutdownResult {
  /** Rows held in memory and in the spool when the shutdown began. */
  buffered: number;
  /** Rows the final drain wrote. */
  written: number;
  /** Rows moved from memory to the spool because the database did not take them in time. */
  spilled: number;
  /** Rows left in the spool, written at the next start. */
  spooled: number;
  /** Rows neither written nor spooled. */
  lost: number;
  /** Why the spool or the WAL could not be written or closed, else null. */
  spoolError: unknown;
}

/**
 * The writer's last act: stop the timers, write what the database takes within the timeout,
 * move the rest from memory to the spool for the next start, then close the spool and the WAL.
 * Never throws: the result says what happened, for the caller to log.
 */
export async function shutDownWriter(writer: BatchWriter, o: ShutdownOptions): Promise<ShutdownResult> {
  writer.stop();
  const buffered = writer.size + writer.spooled;
  const { written, left } = await writer.drain(o.timeoutMs);
  let spilled = 0;
  let spoolError: unknown = null;
  try {
    spilled = await writer.spill();
    await o.spool.close();
    await o.wal?.close();
  } catch (err) {
    spoolError = err;
  }
  return { buffered, written, spilled, spooled: writer.spooled, lost: Math.max(0, left - spilled), spoolError };
}
