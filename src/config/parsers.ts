// Each setting whose value has a form of its own (a URL, origins, a path, CIDRs): checked here,
// turned into what the service uses, or refused with a ConfigError naming the variable.
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import ipaddr from 'ipaddr.js';
import type { Config, TrustProxy } from '../config.js';
import { ConfigError } from './config-error.js';

export function parseDatabaseUrl(value: string): Pick<Config, 'store' | 'databaseUrl' | 'sqlitePath'> {
  if (value.startsWith('sqlite:')) {
    const path = value.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') throw new ConfigError('DATABASE_URL', 'names no file: expected sqlite:PATH, e.g. sqlite:./data/analytics.db');
    return { store: 'sqlite', databaseUrl: '', sqlitePath: resolve(path) };
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(
      'DATABASE_URL',
      'is not a URL: expected mysql://user:pass@host:port/database or sqlite:PATH. A password holding / ? # @ : or % must be ' +
        'percent-encoded in the URL (/ as %2F, # as %23), or given as it is in DATABASE_PASSWORD',
    );
  }
  if (url.protocol !== 'mysql:') {
    throw new ConfigError('DATABASE_URL', `has scheme ${url.protocol.replace(/:$/, '')}: expected mysql://user:pass@host:port/database or sqlite:PATH`);
  }
  if (!url.hostname) throw new ConfigError('DATABASE_URL', 'has no host: expected mysql://user:pass@host:port/database');
  if (url.pathname.replace(/^\//, '') === '') {
    throw new ConfigError('DATABASE_URL', 'names no database: expected mysql://user:pass@host:port/database');
  }
  return { store: 'mysql', databaseUrl: value, sqlitePath: '' };
}

export function parseOrigins(value: string): '*' | string[] {
  if (value.trim() === '*') return '*';
  const origins: string[] = [];
  for (const part of value.split(',')) {
    const candidate = part.trim().replace(/\/$/, '');
    if (candidate === '') continue;
    let origin: string;
    try {
      origin = new URL(candidate).origin;
    } catch {
      throw new ConfigError('ALLOWED_ORIGINS', `has ${JSON.stringify(part.trim())}, which is not an origin like https://example.com`);
    }
    if (origin === 'null' || origin !== candidate.toLowerCase()) {
      throw new ConfigError(
        'ALLOWED_ORIGINS',
        `has ${JSON.stringify(part.trim())}: give exact origins (scheme://host[:port], no path), e.g. https://example.com`,
      );
    }
    origins.push(origin);
  }
  if (origins.length === 0) throw new ConfigError('ALLOWED_ORIGINS', 'lists no origin');
  return origins;
}

// Reserved for the ops routes, which the public port may also serve.
const OPS_PATHS = new Set(['/health', '/ready', '/metrics']);

/**
 * A route path: absolute, letters, digits and `._~-` between slashes, at most 100 characters, not an
 * ops route. `:` and `*` would be route parameters and wildcards to Fastify's router.
 */
export function parsePath(variable: string, value: string): string {
  if (!/^\/[A-Za-z0-9._~\/-]*$/.test(value) || value.length > 100 || value.includes('//') || (value.length > 1 && value.endsWith('/'))) {
    throw new ConfigError(variable, `(${JSON.stringify(value)}) must be a path such as /collect: starting with /, letters, digits, . _ ~ - and /, at most 100 characters, no // or trailing /`);
  }
  if (value === '/' || OPS_PATHS.has(value)) throw new ConfigError(variable, `(${value}) is reserved: choose another path`);
  return value;
}

export function parseRedisUrl(value: string): string {
  let url: URL | null = null;
  try {
    url = new URL(value);
  } catch {
    // reported below
  }
  if (url === null || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') {
    throw new ConfigError('REDIS_URL', 'must be redis://[user:pass@]host:port[/db] or rediss://… (TLS)');
  }
  return value;
}

// A DNS name: dot-separated labels of letters, digits and inner hyphens (RFC 1123).
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** An address to listen on: an IPv4 or IPv6 address or a host name; checked here, not at listen time. */
export function parseHost(variable: string, value: string): string {
  if (!ipaddr.isValid(value) && !HOST_NAME.test(value)) {
    throw new ConfigError(variable, `(${JSON.stringify(value)}) must be an IP address or a host name, e.g. 127.0.0.1, ::1 or localhost`);
  }
  return value;
}

// An HTTP header name is a token (RFC 9110, section 5.6.2).
const HEADER_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function parseHeaderName(variable: string, value: string): string {
  if (!HEADER_TOKEN.test(value)) {
    throw new ConfigError(variable, `(${JSON.stringify(value)}) must be an HTTP header name, e.g. CF-IPCountry, CloudFront-Viewer-Country or X-Vercel-IP-Country`);
  }
  return value.toLowerCase(); // Node gives header names lower-cased
}

// proxy-addr (Fastify's trust-proxy engine) also takes these names for well-known ranges.
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

export function parseTrustProxy(value: string): TrustProxy {
  const lower = value.toLowerCase();
  if (lower === 'false') return false;
  if (lower === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  const entries = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const entry of entries) {
    if (PROXY_RANGE_NAMES.has(entry)) continue;
    const ok = entry.includes('/') ? safe(() => ipaddr.parseCIDR(entry)) : ipaddr.isValid(entry);
    if (!ok) {
      throw new ConfigError(
        'TRUST_PROXY',
        `has ${JSON.stringify(entry)}: expected false, true, a hop count, or comma-separated IPs/CIDRs such as 10.0.0.0/8`,
      );
    }
  }
  return entries;
}

/** The bundled CC BY 4.0 country database (geo-whois-asn-country, installed from npm with the project). */
export const BUNDLED_GEOIP_DB = createRequire(import.meta.url).resolve(
  '@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb',
);

export function parseGeoipDb(value: string | undefined): string | null {
  if (value === undefined) return BUNDLED_GEOIP_DB;
  if (value.toLowerCase() === 'off') return null;
  return resolve(value); // opened (and checked) at start: a missing or corrupt file stops it there
}

export function parseExcludeIps(value: string | undefined): string[] {
  if (value === undefined) return [];
  const entries = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const entry of entries) {
    const ok = entry.includes('/') ? safe(() => ipaddr.parseCIDR(entry)) : ipaddr.isValid(entry);
    if (!ok) throw new ConfigError('EXCLUDE_IPS', `has ${JSON.stringify(entry)}: expected comma-separated IPs or CIDRs such as 203.0.113.0/24`);
  }
  return entries;
}

function safe(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch {
    return false;
  }
}
