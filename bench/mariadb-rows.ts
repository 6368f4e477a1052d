// MariaDB's CPU per stored row, by what the table and the statement ask of it: the service's
// pageviews table (migrations/mysql) with each secondary index left out in turn, the statement
// with and without its ON DUPLICATE KEY clause, the session upsert and the transaction around
// them, and the smallest index set the documented queries need, against the minimal design's table
// (bench/peers/sketch-schema.sql). One connection writes ROWS rows in statements of BATCH rows;
// mariadbd's CPU is read from /proc before and after.
// Variants alternate over ROUNDS rounds; medians are printed. Needs MariaDB on 127.0.0.1.
//   ROWS=50000 BATCH=500 ROUNDS=3 [ONLY=1,10] node --import tsx bench/mariadb-rows.ts
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { createConnection, type Connection } from 'mysql2/promise';
import { cpuMs, mariadbPid } from './proc.js';

const ROWS = Number(process.env.ROWS ?? 50_000);
const BATCH = Number(process.env.BATCH ?? 500);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const SERVER = process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const db = `bench_rows_${process.pid}`;

const migrations = new URL('../migrations/mysql/', import.meta.url);
const serviceSchema = readdirSync(migrations).filter((f) => f.endsWith('.sql')).sort().map((f) => readFileSync(new URL(f, migrations), 'utf8')).join('\n');
const minimalSchema = readFileSync(new URL('peers/sketch-schema.sql', import.meta.url), 'utf8');
const COLUMNS = 'beacon_id, url, hostname, type, event_name, user_agent, browser, os, device, is_bot, viewport_width, viewport_height, referrer, client_timestamp, server_timestamp, client_ip, session_id, payload, user_hash, geo_country';
const SESSION = '6f1c7a52-1f6e-4b7e-9a51-0c1d2e3f4a5b';
let seq = 0;
// A UUIDv7-like id: time-ordered, as the service's beacon ids are.
const beaconId = () => { const b = randomBytes(16); b.writeUIntBE(Date.now(), 0, 6); b.writeUInt16BE(seq++ & 0xffff, 6); return b; };
const serviceRow = (i: number) => [beaconId(), `https://shop.example/p/${i % 50}?utm_source=news`, 'shop.example', 'pageview', null, UA, 'Chrome', 'Windows', 'desktop', 0,
  1280, 720, 'https://www.google.com/', null, new Date(), '127.0.0.0', SESSION, null, 'a1b2c3d4e5f60718', null];
const minimalRow = (i: number) => [`https://shop.example/p/${i % 50}?utm_source=news`, 'pageview', UA, 1280, 720, 'https://www.google.com/', null, new Date(), '127.0.0.1', randomUUID()];
const SESSION_UPSERT = "INSERT INTO sessions (session_id, hostname, user_hash, started_at, last_seen_at, entry_url, entry_referrer, utm_source, utm_medium, utm_campaign, utm_term, utm_content, pageviews, events, exit_url) VALUES (?, 'shop.example', 'a1b2c3d4e5f60718', ?, ?, 'https://shop.example/', NULL, 'news', NULL, NULL, NULL, NULL, ?, 0, 'https://shop.example/p/1') ON DUPLICATE KEY UPDATE exit_url = IF(VALUES(pageviews) > pageviews, VALUES(exit_url), exit_url), user_hash = IF(VALUES(last_seen_at) > last_seen_at, VALUES(user_hash), user_hash), pageviews = GREATEST(pageviews, VALUES(pageviews)), events = GREATEST(events, VALUES(events)), last_seen_at = GREATEST(last_seen_at, VALUES(last_seen_at))";

interface Variant { name: string; schema: string; drop?: string[]; add?: string[]; write: (c: Connection, rows: number) => Promise<void> }
const insert = (dup: boolean) => async (c: Connection, n: number) => {
  await c.query(`INSERT INTO pageviews (${COLUMNS}) VALUES ?${dup ? ' ON DUPLICATE KEY UPDATE beacon_id = beacon_id' : ''}`, [Array.from({ length: n }, (_, i) => serviceRow(i))]);
};
const asService = async (c: Connection, n: number) => {
  await c.beginTransaction();
  await insert(true)(c, n);
  await c.query(SESSION_UPSERT, [SESSION, new Date(), new Date(), ++seq]);
  await c.commit();
};
const allVariants: Variant[] = [
  { name: 'minimal design: its table (PK + 3 indexes), 10 columns, plain INSERT', schema: minimalSchema, write: async (c, n) => { await c.query('INSERT INTO pageviews (url, type, user_agent, viewport_width, viewport_height, referrer, client_timestamp, server_timestamp, client_ip, session_id) VALUES ?', [Array.from({ length: n }, (_, i) => minimalRow(i))]); } },
  { name: 'service as it writes: transaction, INSERT … ON DUPLICATE KEY, session upsert', schema: serviceSchema, write: asService },
  { name: 'service table, INSERT … ON DUPLICATE KEY alone (autocommit)', schema: serviceSchema, write: insert(true) },
  { name: 'service table, plain INSERT (autocommit)', schema: serviceSchema, write: insert(false) },
  ...['idx_pageviews_url', 'idx_pageviews_hostname', 'idx_pageviews_type', 'idx_pageviews_server_timestamp', 'idx_pageviews_session_id', 'uq_pageviews_beacon_id'].map((index) => (
    { name: `service as it writes, without ${index}`, schema: serviceSchema, drop: [index], write: asService })),
  { name: 'service as it writes, indexes beacon_id, (hostname, type, server_timestamp), server_timestamp, session_id', schema: serviceSchema, drop: ['idx_pageviews_url', 'idx_pageviews_hostname', 'idx_pageviews_type'], add: ['idx_pageviews_hostname_type_time (hostname, type, server_timestamp)'], write: asService },
  { name: 'service as it writes, without any secondary index', schema: serviceSchema, drop: ['idx_pageviews_url', 'idx_pageviews_hostname', 'idx_pageviews_type', 'idx_pageviews_server_timestamp', 'idx_pageviews_session_id', 'uq_pageviews_beacon_id'], write: asService },
];

// ONLY=1,10 runs those variants (by position, 0 = the minimal design, always kept as the base).
const only = process.env.ONLY?.split(',').map(Number);
if (only?.some((i) => !Number.isInteger(i) || i < 0 || i >= allVariants.length)) throw new Error(`ONLY: variant positions 0-${allVariants.length - 1}, comma-separated (got ${process.env.ONLY})`);
const variants = only ? allVariants.filter((_, i) => i === 0 || only.includes(i)) : allVariants;

const admin = await createConnection({ uri: SERVER, multipleStatements: true, timezone: 'Z' });
const pid = mariadbPid();
const results = new Map<string, number[]>();
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const v of variants) {
      await admin.query(`DROP DATABASE IF EXISTS \`${db}\`; CREATE DATABASE \`${db}\`; USE \`${db}\`; ${v.schema}`);
      for (const index of v.drop ?? []) await admin.query(`ALTER TABLE pageviews DROP INDEX ${index}`);
      for (const index of v.add ?? []) await admin.query(`ALTER TABLE pageviews ADD INDEX ${index}`);
      const c = await createConnection({ uri: `${SERVER}/${db}`, timezone: 'Z', charset: 'utf8mb4_unicode_ci' });
      const cpu0 = cpuMs(pid);
      for (let done = 0; done < ROWS; done += BATCH) await v.write(c, Math.min(BATCH, ROWS - done));
      await new Promise((r) => setTimeout(r, 300)); // the purge and flush right after, counted too
      const us = ((cpuMs(pid) - cpu0) * 1000) / ROWS;
      await c.end();
      results.set(v.name, [...(results.get(v.name) ?? []), us]);
      console.log(`  round ${round + 1}: ${us.toFixed(1).padStart(6)} µs per row  ${v.name}`);
    }
  }
} finally {
  await admin.query(`DROP DATABASE IF EXISTS \`${db}\``);
  await admin.end();
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const base = median(results.get(variants[0]!.name)!);
console.log(`\nMariaDB CPU per row, ${ROWS} rows in statements of ${BATCH}, median of ${ROUNDS} rounds (× the minimal design's):`);
for (const [name, xs] of results) console.log(`  ${median(xs).toFixed(1).padStart(6)} µs  ${(median(xs) / base).toFixed(2)}×  ${name}`);
