import ipaddr from 'ipaddr.js';
import type { IpStorage } from '../config.js';

/**
 * The address as one canonical string (IPv4-mapped IPv6 such as ::ffff:1.2.3.4 becomes plain
 * IPv4), or null when it is not an IP address at all (junk in a trusted X-Forwarded-For).
 */
export function canonicalIp(ip: string | undefined): string | null {
  if (ip === undefined) return null;
  // Fast path for the common case, already canonical: dotted IPv4 without leading zeros.
  if (IPV4.test(ip)) return ip;
  if (ip.startsWith('::ffff:') && IPV4.test(ip.slice(7))) return ip.slice(7);
  if (!ipaddr.isValid(ip)) return null;
  const addr = ipaddr.process(ip);
  // A zone id (fe80::1%eth0) names an interface on the sender's host: meaningless here, and of any length.
  if (addr.kind() === 'ipv6') (addr as ipaddr.IPv6).zoneId = undefined;
  return addr.toString();
}

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);

/**
 * The form of a canonical client address that is stored, per IP_STORAGE: `full`, `truncated`
 * (IPv4 /24, IPv6 /48, host bits zeroed: 203.0.113.77 -> 203.0.113.0) or `none` (NULL).
 */
export function storedIp(ip: string, mode: IpStorage): string | null {
  if (mode === 'full') return ip;
  if (mode === 'none') return null;
  if (IPV4.test(ip)) return ip.slice(0, ip.lastIndexOf('.')) + '.0';
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.parse(ip);
  } catch {
    return null;
  }
  const bytes = addr.toByteArray();
  const keep = addr.kind() === 'ipv4' ? 3 : 6;
  for (let i = keep; i < bytes.length; i++) bytes[i] = 0;
  return ipaddr.fromByteArray(bytes).toString();
}
