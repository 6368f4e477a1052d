import { LRUCache } from 'lru-cache';
import { visitorHash } from './visitor-hash.js';

// A 16 KB User-Agent is not worth a cache slot (nor the memory): it is hashed every time.
const MAX_CACHED_AGENT = 1024;

/**
 * Visitor hashes of recent (day, site, address, agent): an HMAC costs a few µs, a lookup far less,
 * and a visitor sends many beacons a day.
 */
export class VisitorHashCache {
  readonly #secret: string;
  readonly #hashes: LRUCache<string, string>;

  constructor(secret: string, max = 20_000) {
    this.#secret = secret;
    this.#hashes = new LRUCache({ max });
  }

  /** The visitor hash under `day`'s salt (`day` names the salt in the cache key). */
  hash(day: string, salt: Buffer, hostname: string, ip: string, ua: string): string {
    if (ua.length > MAX_CACHED_AGENT) return visitorHash(this.#secret, salt, hostname, ip, ua);
    const key = day + '\0' + hostname + '\0' + ip + '\0' + ua;
    let hash = this.#hashes.get(key);
    if (hash === undefined) {
      hash = visitorHash(this.#secret, salt, hostname, ip, ua);
      this.#hashes.set(key, hash);
    }
    return hash;
  }
}
