import { createHmac } from 'node:crypto';

/**
 * The daily visitor id: first 16 hex characters of HMAC-SHA256 keyed by HASH_SECRET over the
 * day's salt, the hostname, the full IP and the user agent. The secret never enters the
 * database, so whoever holds the database alone cannot rebuild the hash of every IPv4 address.
 */
export function visitorHash(secret: string, salt: Buffer, hostname: string, ip: string, userAgent: string): string {
  // NUL separators: ("a.b", "c") and ("a", "b.c") must not hash alike.
  return createHmac('sha256', secret)
    .update(salt)
    .update('\0' + hostname + '\0' + ip + '\0' + userAgent)
    .digest()
    // 8 bytes straight to 16 hex characters: a slice of the 64-character hex would keep the whole
    // string alive for as long as the session store holds the key.
    .toString('hex', 0, 8);
}
