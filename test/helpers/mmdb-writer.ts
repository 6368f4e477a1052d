// A minimal MaxMind DB (v2) writer for test fixtures: an IPv6 tree (IPv4 under ::/96), 24-bit
// records, maps/strings/unsigned integers/arrays in the data section. Enough to build a database
// in the GeoLite2 record shape that the service must read, without downloading one.
import ipaddr from 'ipaddr.js';

type Value = string | number | Value[] | { [key: string]: Value };

function control(type: number, size: number): Buffer {
  const extended = type > 7;
  const head = (extended ? 0 : type << 5) | (size < 29 ? size : size < 285 ? 29 : 30);
  const bytes = [head];
  if (extended) bytes.push(type - 7);
  if (size >= 29 && size < 285) bytes.push(size - 29);
  else if (size >= 285) bytes.push(((size - 285) >> 8) & 255, (size - 285) & 255);
  return Buffer.from(bytes);
}

function uint(type: number, value: number | bigint): Buffer {
  let hex = BigInt(value).toString(16);
  if (hex === '0') return control(type, 0);
  if (hex.length % 2) hex = '0' + hex;
  const bytes = Buffer.from(hex, 'hex');
  return Buffer.concat([control(type, bytes.length), bytes]);
}

function encode(value: Value): Buffer {
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([control(2, bytes.length), bytes]);
  }
  if (typeof value === 'number') return uint(6, value); // uint32
  if (Array.isArray(value)) return Buffer.concat([control(11, value.length), ...value.map(encode)]);
  const entries = Object.entries(value);
  return Buffer.concat([control(7, entries.length), ...entries.flatMap(([k, v]) => [encode(k), encode(v)])]);
}

type Record_ = number | { data: number } | null;

/** Builds a .mmdb file mapping each CIDR to its record. */
export function buildMmdb(networks: [cidr: string, record: Value][], databaseType = 'GeoLite2-Country'): Buffer {
  const nodes: [Record_, Record_][] = [[null, null]];
  const data: Buffer[] = [];
  let dataSize = 0;
  for (const [cidr, record] of networks) {
    const [addr, prefix] = ipaddr.parseCIDR(cidr);
    const bytes = addr.kind() === 'ipv4' ? [...new Array(12).fill(0), ...addr.toByteArray()] : addr.toByteArray();
    const bits = addr.kind() === 'ipv4' ? prefix + 96 : prefix;
    const encoded = encode(record);
    const offset = dataSize;
    data.push(encoded);
    dataSize += encoded.length;
    let node = 0;
    for (let i = 0; i < bits; i++) {
      const bit = ((bytes[i >> 3] as number) >> (7 - (i & 7))) & 1;
      const pair = nodes[node] as [Record_, Record_];
      if (i === bits - 1) {
        pair[bit] = { data: offset };
      } else {
        const next = pair[bit];
        if (typeof next === 'number') node = next;
        else {
          nodes.push([null, null]);
          pair[bit] = nodes.length - 1;
          node = nodes.length - 1;
        }
      }
    }
  }
  const nodeCount = nodes.length;
  const tree = Buffer.alloc(nodeCount * 6);
  nodes.forEach((pair, i) => {
    pair.forEach((r, side) => {
      const value = r === null ? nodeCount : typeof r === 'number' ? r : nodeCount + 16 + r.data;
      tree.writeUIntBE(value, i * 6 + side * 3, 3);
    });
  });
  const metadata = Buffer.concat([
    control(7, 9),
    encode('binary_format_major_version'), uint(5, 2),
    encode('binary_format_minor_version'), uint(5, 0),
    encode('build_epoch'), uint(9, Math.floor(Date.now() / 1000)),
    encode('database_type'), encode(databaseType),
    encode('description'), encode({ en: 'beacon-ingest test fixture' }),
    encode('ip_version'), uint(5, 6),
    encode('languages'), encode(['en']),
    encode('node_count'), uint(6, nodeCount),
    encode('record_size'), uint(5, 24),
  ]);
  return Buffer.concat([tree, Buffer.alloc(16), ...data, Buffer.from('\xab\xcd\xefMaxMind.com', 'latin1'), metadata]);
}
