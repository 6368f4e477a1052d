import ipaddr from 'ipaddr.js';
import { LRUCache } from 'lru-cache';

const WINDOW_MS = 60_000;

/**
 * RATE_LIMIT_PER_MIN: beacons (not requests: a batch of 50 counts 50) per client per minute, in
 * fixed one-minute windows. A client is an IPv4 address, or an IPv6 prefix of `ipv6Prefix` bits
 * (RATE_LIMIT_IPV6_PREFIX): one subscriber commonly holds a whole /64, and counting its addresses
 * one by one would let it rotate past the limit. Clients are held in an LRU, so a flood of spoofed
 * or rotating ones costs bounded memory (a client pushed out simply starts a new window).
 */
export class RateLimiter {
  readonly #limit: number;
  readonly #clock: () => number;
  readonly #ipv6Prefix: number;
  readonly #windows: LRUCache<string, { start: number; count: number }>;

  constructor(limitPerMinute: number, clock: () => number, ipv6Prefix = 64, maxAddresses = 100_000) {
    this.#limit = limitPerMinute;
    this.#clock = clock;
    this.#ipv6Prefix = ipv6Prefix;
    this.#windows = new LRUCache({ max: maxAddresses });
  }

  /** How many of `count` beacons from `ip` are within the limit (the first ones); the rest are over it. */
  take(ip: string, count: number): number {
    const now = this.#clock();
    const client = ip.includes(':') ? ipv6Client(ip, this.#ipv6Prefix) : ip;
    let w = this.#windows.get(client);
    if (w === undefined || now - w.start >= WINDOW_MS) {
      w = { start: now, count: 0 };
      this.#windows.set(client, w);
    }
    const allowed = Math.max(0, Math.min(count, this.#limit - w.count));
    w.count += count;
    return allowed;
  }
}

/**
 * The key of an IPv6 address's prefix: its first `bits` bits as hex groups ("2001:db8:1:2/64"), so
 * never equal to an IPv4 key. An IPv4-mapped address (::ffff:198.51.100.1) is the IPv4 client.
 */
export function ipv6Client(ip: string, bits: number): string {
  let addr: ipaddr.IPv6;
  try {
    addr = ipaddr.IPv6.parse(ip);
  } catch {
    return ip; // not an address: counted as the string it is
  }
  if (addr.isIPv4MappedAddress()) return addr.toIPv4Address().toString();
  const parts = addr.parts;
  let key = '';
  for (let i = 0, left = bits; left > 0; i++, left -= 16) {
    const part = parts[i] as number;
    key += (left >= 16 ? part : part & ((0xffff << (16 - left)) & 0xffff)).toString(16) + (left > 16 ? ':' : '');
  }
  return `${key}/${bits}`;
}
