import { BlockList } from 'node:net';

/**
 * EXCLUDE_IPS (addresses and CIDRs, already checked by the config) as a BlockList: Node's own
 * matcher, built once at start. Null when unset, so the hot path skips the check with one compare.
 */
export function excludeIps(entries: readonly string[]): BlockList | null {
  if (entries.length === 0) return null;
  const list = new BlockList();
  for (const entry of entries) {
    const [address, prefix] = entry.split('/') as [string, string | undefined];
    const type = address.includes(':') ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return list;
}
