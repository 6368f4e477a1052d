import { unwatchFile, watchFile, type Stats } from 'node:fs';
import { LRUCache } from 'lru-cache';
import maxmind, { type Reader, type Response } from 'maxmind';

/** Both record shapes: MaxMind GeoLite2/GeoIP2 and DB-IP (`country.iso_code`), ip-location-db (`country_code`). */
interface CountryRecord {
  country?: { iso_code?: string };
  registered_country?: { iso_code?: string };
  country_code?: string;
}

const UNKNOWN = Symbol('unknown');

export class GeoIpError extends Error {
  override name = 'GeoIpError';
}

const ISO_COUNTRY = /^[A-Z]{2}$/;
// Lookups repeat per visitor: maxmind keeps an LRU of this many addresses in front of the tree.
const CACHE_MAX = 20_000;

async function openReader(path: string): Promise<Reader<Response>> {
  try {
    return await maxmind.open<Response>(path, { cache: { max: CACHE_MAX } });
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new GeoIpError(`GEOIP_DB ${path} cannot be opened as a MaxMind .mmdb database: ${reason} (set GEOIP_DB=off to run without GeoIP)`);
  }
}

/**
 * Country lookup in a .mmdb file, opened once at start and swapped atomically on reload (file
 * change or SIGHUP). A reload that fails keeps the database in use, so a half-copied file never
 * takes GeoIP down.
 */
export class GeoIp {
  readonly path: string;
  #reader: Reader<Response>;
  // Visitors send several beacons from one address: parsing it and walking the tree cost ~3 µs, a hit far less.
  readonly #cache = new LRUCache<string, string | typeof UNKNOWN>({ max: 20_000 });
  #listener: ((curr: Stats, prev: Stats) => void) | null = null;

  private constructor(path: string, reader: Reader<Response>) {
    this.path = path;
    this.#reader = reader;
  }

  static async open(path: string): Promise<GeoIp> {
    return new GeoIp(path, await openReader(path));
  }

  /** ISO 3166-1 alpha-2 code of the address, or null when unknown (private ranges, gaps). */
  country(ip: string): string | null {
    const held = this.#cache.get(ip);
    if (held !== undefined) return held === UNKNOWN ? null : held;
    const code = this.#lookup(ip);
    this.#cache.set(ip, code ?? UNKNOWN);
    return code;
  }

  #lookup(ip: string): string | null {
    let record: CountryRecord | null;
    try {
      record = this.#reader.get(ip) as CountryRecord | null;
    } catch {
      return null; // not an IP address
    }
    if (record === null) return null;
    const code = record.country?.iso_code ?? record.country_code ?? record.registered_country?.iso_code;
    return code !== undefined && ISO_COUNTRY.test(code) ? code : null;
  }

  /** Re-reads the file; throws (keeping the current database) when the new one cannot be read. */
  async reload(): Promise<void> {
    this.#reader = await openReader(this.path);
    this.#cache.clear();
  }

  /** Polls the file's mtime and reloads when it changes. */
  watch(intervalMs: number, onReload: () => void, onError: (err: unknown) => void): void {
    this.#listener = (curr, prev) => {
      if (curr.mtimeMs === prev.mtimeMs || curr.size === 0) return;
      this.reload().then(onReload, onError);
    };
    watchFile(this.path, { interval: intervalMs, persistent: false }, this.#listener);
  }

  close(): void {
    if (this.#listener !== null) unwatchFile(this.path, this.#listener);
    this.#listener = null;
  }
}
