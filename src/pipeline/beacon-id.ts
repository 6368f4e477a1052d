import { randomFillSync } from 'node:crypto';

// Random bytes are drawn 16 KiB at a time: one getrandom call per ~1,600 ids instead of one per id
// (the uuid package asks the kernel on every call; that was a tenth of the service's CPU).
const POOL_SIZE = 16 * 1024;
const RANDOM_BYTES = 10;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let offset = POOL_SIZE;

/**
 * A UUIDv7 as 16 bytes (RFC 9562): 48 bits of Unix time in milliseconds, then version 7, the
 * variant, and 74 random bits. Time-ordered, so the unique index on beacon_id grows at its end.
 */
export function newBeaconId(now: number = Date.now()): Buffer {
  if (offset + RANDOM_BYTES > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const id = Buffer.allocUnsafe(16);
  id.writeUIntBE(now, 0, 6);
  pool.copy(id, 6, offset, offset + RANDOM_BYTES);
  offset += RANDOM_BYTES;
  id[6] = ((id[6] as number) & 0x0f) | 0x70;
  id[8] = ((id[8] as number) & 0x3f) | 0x80;
  return id;
}
