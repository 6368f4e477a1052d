// npm run bench: the service against bare Fastify (the ceiling), the minimal batched design (the
// yardstick of issue 18, bench/peers/) and a per-row-INSERT endpoint (the reference tutorial's design),
// all running at once on this machine, driven by autocannon from this process in alternating rounds.
// Figures from different moments do not compare on a noisy 2-core machine, so each round is compared
// with the rounds next to it, as ratios.
//   MODES=single,batch,sessions ROUNDS=2 SECONDS=8 CONNECTIONS=50 npm run bench [-- --json]
// A change's before/after in one run: copy dist/, migrations/ and package.json of the build before it into a
// directory under node_modules/ (so its imports resolve), e.g. node_modules/.cache/bench-before/,
// and run BASELINE=node_modules/.cache/bench-before TARGETS=minimal,before,service npm run bench.
// TARGETS picks among bare, perrow, sqlite, minimal, before, service (default: all but before).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { createConnection } from 'mysql2/promise';
import Database from '../src/sinks/sqlite-driver.js';
import { cpuMs, mariadbPid, peakRssMb, resetPeakRss } from './proc.js';
import { BEFORE, goalRatios, printRatios, type Round } from './ratios.js';

const JSON_OUT = process.argv.includes('--json');
const MODES = (process.env.MODES ?? 'single,batch,sessions').split(',') as Mode[];
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const SECONDS = Number(process.env.SECONDS ?? 8);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50);
const SERVER = process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
// Every target gets the same request: JSON with an allowed Origin, as a tracked page sends it with fetch.
const ORIGIN = 'https://shop.example';
const BASELINE = process.env.BASELINE;
const TARGETS = new Set((process.env.TARGETS ?? `bare,perrow,sqlite,minimal,service${BASELINE ? ',before' : ''}`).split(','));
const log = (s: string) => { if (!JSON_OUT) console.log(s); };

export type Mode = 'single' | 'batch' | 'sessions';
const BATCH: Record<Mode, number> = { single: 1, batch: 20, sessions: 1 };

interface Target {
  name: string;
  port: number;
  child: ChildProcess;
  /** The modes it takes: the minimal design's schema takes one beacon object per request, no array. */
  modes: readonly Mode[];
  count: () => Promise<number>;
  /** Whether what it answered is written: `stored`, rows since the mode began; `answered`, beacons answered. */
  drained: (answered: number) => Promise<boolean>;
  metrics: () => Promise<string>;
}

async function freshMysql(name: string, schema?: string): Promise<string> {
  const db = `bench_${name}_${process.pid}`;
  const admin = await createConnection({ uri: SERVER, multipleStatements: true });
  await admin.query(`DROP DATABASE IF EXISTS \`${db}\``);
  await admin.query(`CREATE DATABASE \`${db}\``);
  if (schema !== undefined) await admin.query(`USE \`${db}\`; ${schema}`);
  await admin.end();
  return `${SERVER}/${db}`;
}

async function mysqlQuery(url: string, sql: string): Promise<number> {
  const conn = await createConnection({ uri: url });
  try {
    const [rows] = await conn.query(sql);
    return Number((rows as { n: number }[])[0]?.n ?? 0);
  } finally {
    await conn.end();
  }
}
const mysqlCount = (url: string) => mysqlQuery(url, 'SELECT COUNT(*) AS n FROM pageviews');

type Kind = 'service' | 'minimal' | 'plain';
async function start(name: string, port: number, script: string, env: Record<string, string>, count: () => Promise<number>, kind: Kind, modes: readonly Mode[] = ['single', 'batch', 'sessions']): Promise<Target> {
  const child = spawn(process.execPath, [script], { env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    const ok = kind === 'service' ? (await fetch(`${base}/ready`).catch(() => null))?.status === 200 : (await fetch(`${base}/collect`, { method: 'POST', body: '{}' }).catch(() => null))?.status === 204;
    if (ok) break;
    await sleep(100);
  }
  let since = 0;
  return {
    name, port, child, modes,
    count: async () => (since = await count()),
    drained: async (answered) => {
      if (kind === 'plain') return true;
      if (kind === 'minimal') {
        // It flushes per 100 rows or every 5 s; MAX(id) is its row count (one table, consecutive ids),
        // read from the index's end rather than by a COUNT(*) that would cost MariaDB a scan.
        return (await mysqlQuery(minimalUrl, 'SELECT COALESCE(MAX(id), 0) AS n FROM pageviews')) - since >= answered;
      }
      const h = (await (await fetch(`${base}/health`)).json()) as { buffer: { rows: number }; spool: { rows: number } };
      return h.buffer.rows === 0 && h.spool.rows === 0;
    },
    metrics: async () => (kind === 'service' ? (await fetch(`${base}/metrics`)).text() : ''),
  };
}

function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(name + ' '));
  return line ? Number(line.slice(name.length + 1)) : 0;
}

async function drive(port: number, mode: Mode): Promise<{ rps: number; p50: number; p99: number; answered: number; errors: number }> {
  const beacon = (i: number) => ({ url: `https://shop.example/p/${i % 50}?utm_source=news`, referrer: 'https://www.google.com/', viewportW: 1280, viewportH: 720 });
  const body = mode === 'batch' ? JSON.stringify(Array.from({ length: 20 }, (_, i) => beacon(i))) : JSON.stringify(beacon(0));
  let n = 0;
  const r = await autocannon({
    url: `http://127.0.0.1:${port}/collect`, method: 'POST', connections: CONNECTIONS, duration: SECONDS,
    headers: { 'content-type': 'application/json', 'user-agent': UA, origin: ORIGIN },
    body,
    // Sessions-heavy: every request from another visitor (another address via X-Forwarded-For).
    ...(mode === 'sessions'
      ? { requests: [{ setupRequest: (req: autocannon.Request) => { n++; return { ...req, headers: { ...req.headers, 'x-forwarded-for': `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` } }; } }] }
      : {}),
  });
  return { rps: r.requests.average * BATCH[mode], p50: r.latency.p50, p99: r.latency.p99, answered: r['2xx'] * BATCH[mode], errors: r.errors + r.non2xx };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const dataDir = mkdtempSync(join(tmpdir(), 'bench-'));
const serviceEnv = { HASH_SECRET: 'bench-secret-0123456789', TRUST_PROXY: 'loopback', FLUSH_INTERVAL_MS: '1000', ALLOWED_ORIGINS: ORIGIN };
const mysqlUrl = await freshMysql('service');
const beforeUrl = await freshMysql('before');
const perRowUrl = await freshMysql('perrow');
const minimalUrl = await freshMysql('minimal', readFileSync(new URL('peers/sketch-schema.sql', import.meta.url), 'utf8'));
const sqlitePath = join(dataDir, 'analytics.db');
// In this order each round: the one that writes most to MariaDB (per-row) is followed by one that
// does not, so InnoDB's background work after it is not counted against the minimal design.
const sqliteCount = async () => {
  const db = new Database(sqlitePath, { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM pageviews').get() as { n: number }).n;
  } finally {
    db.close();
  }
};
const candidates: [string, () => Promise<Target>][] = [
  ['bare', () => start('bare fastify', 3301, 'bench/bare-server.mjs', {}, async () => 0, 'plain')],
  ['perrow', () => start('per-row INSERT', 3302, 'bench/per-row-server.mjs', { DATABASE_URL: perRowUrl }, () => mysqlCount(perRowUrl), 'plain')],
  ['sqlite', () => start('service (SQLite)', 3304, 'dist/server.js', { ...serviceEnv, DATABASE_URL: `sqlite:${sqlitePath}`, DATA_DIR: join(dataDir, 's') }, sqliteCount, 'service')],
  ['minimal', () => start('minimal design', 3305, 'bench/peers/sketch-batched.cjs', { DB: new URL(minimalUrl).pathname.slice(1) }, () => mysqlCount(minimalUrl), 'minimal', ['single', 'sessions'])],
  ['before', () => start(BEFORE, 3307, join(BASELINE ?? '.', 'dist/server.js'), { ...serviceEnv, DATABASE_URL: beforeUrl, DATA_DIR: join(dataDir, 'b') }, () => mysqlCount(beforeUrl), 'service')],
  ['service', () => start('service (MariaDB)', 3303, 'dist/server.js', { ...serviceEnv, DATABASE_URL: mysqlUrl, DATA_DIR: join(dataDir, 'm') }, () => mysqlCount(mysqlUrl), 'service')],
];
const targets: Target[] = [];
for (const [key, make] of candidates) if (TARGETS.has(key)) targets.push(await make());

const report: Record<string, unknown>[] = [];
const allRounds: Round[] = [];
const dbPid = mariadbPid();
log(`beacon-ingest bench: ${cpus().length} cores (${cpus()[0]?.model}), ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}; ` +
  `autocannon ${CONNECTIONS} connections, ${SECONDS} s rounds, ${ROUNDS} rounds per mode, targets alternating`);
try {
  for (const mode of MODES) {
    const here = targets.filter((t) => t.modes.includes(mode));
    const rounds: Record<string, Round[]> = {};
    const answered: Record<string, number> = {};
    const stored: Record<string, number> = {};
    for (const t of here) {
      resetPeakRss(t.child.pid);
      rounds[t.name] = [];
      answered[t.name] = 0;
      stored[t.name] = -(await t.count());
    }
    for (let round = 0; round < ROUNDS; round++) {
      let bare = { rps: NaN, p99: NaN }; // ratios to bare are NaN when it is not among TARGETS
      for (const t of here) {
        const cpu0 = cpuMs(t.child.pid);
        const db0 = cpuMs(dbPid);
        const r = await drive(t.port, mode);
        if (r.errors > 0) throw new Error(`${t.name}: ${r.errors} errors or non-2xx answers`);
        if (t.name === 'bare fastify') bare = r;
        answered[t.name]! += r.answered;
        // Let each target write what it buffered before the next one takes the cores: the CPU per
        // beacon counts storing it too.
        for (let i = 0; i < 600 && !(await t.drained(answered[t.name]!)); i++) await sleep(100);
        const cpuUs = ((cpuMs(t.child.pid) - cpu0) * 1000) / r.answered;
        const dbCpuUs = ((cpuMs(dbPid) - db0) * 1000) / r.answered;
        const row: Round = { mode, round, target: t.name, ...r, ratio: r.rps / bare.rps, p99ratio: r.p99 / Math.max(1, bare.p99), cpuUs, dbCpuUs };
        rounds[t.name]!.push(row);
        allRounds.push(row);
        log(`  ${mode} round ${round + 1}: ${t.name.padEnd(18)} ${Math.round(r.rps)} beacons/s, p50 ${r.p50} ms, p99 ${r.p99} ms, CPU ${cpuUs.toFixed(1)} µs/beacon (+ database ${dbCpuUs.toFixed(1)})`);
      }
    }
    log(`\n${mode} (${BATCH[mode]} beacon${BATCH[mode] > 1 ? 's' : ''} per request${mode === 'sessions' ? ', a new visitor every request' : ''}):`);
    log('| target | beacons/s | × bare | p50 ms | p99 ms | p99 × bare | CPU µs/beacon | + DB µs/beacon | peak RSS MB | answered | stored | rows/flush | ms/flush |');
    log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const t of here) {
      const rs = rounds[t.name]!;
      const m = await t.metrics();
      stored[t.name]! += await t.count();
      const flushes = metric(m, 'beacon_flush_duration_seconds_count');
      const row = {
        mode, target: t.name, beaconsPerSecond: Math.round(median(rs.map((r) => r.rps))), ratioToBare: median(rs.map((r) => r.ratio)),
        p50: median(rs.map((r) => r.p50)), p99: median(rs.map((r) => r.p99)), p99RatioToBare: median(rs.map((r) => r.p99ratio)),
        cpuUsPerBeacon: Number(median(rs.map((r) => r.cpuUs)).toFixed(1)), dbCpuUsPerBeacon: Number(median(rs.map((r) => r.dbCpuUs)).toFixed(1)),
        peakRssMb: peakRssMb(t.child.pid), answered: answered[t.name], stored: t.name === 'bare fastify' ? null : stored[t.name],
        rowsPerFlush: flushes ? Math.round(metric(m, 'beacon_rows_written_total') / flushes) : null,
        msPerFlush: flushes ? Number(((metric(m, 'beacon_flush_duration_seconds_sum') / flushes) * 1000).toFixed(1)) : null,
      };
      report.push(row);
      log(`| ${t.name} | ${row.beaconsPerSecond} | ${row.ratioToBare.toFixed(2)} | ${row.p50} | ${row.p99} | ${row.p99RatioToBare.toFixed(2)} | ${row.cpuUsPerBeacon} | ${row.dbCpuUsPerBeacon} | ${row.peakRssMb} | ${row.answered} | ${row.stored ?? '–'} | ${row.rowsPerFlush ?? '–'} | ${row.msPerFlush ?? '–'} |`);
    }
    log('');
  }
} finally {
  for (const t of targets) {
    t.child.kill('SIGTERM');
    await once(t.child, 'exit');
  }
  const admin = await createConnection({ uri: SERVER });
  for (const url of [mysqlUrl, beforeUrl, perRowUrl, minimalUrl]) await admin.query(`DROP DATABASE IF EXISTS \`${new URL(url).pathname.slice(1)}\``);
  await admin.end();
}
const ratios = goalRatios(allRounds, report as { mode: string; target: string; answered: number; stored: number | null }[]);
if (JSON_OUT) console.log(JSON.stringify({ rows: report, rounds: allRounds, ratios }, null, 2));
else printRatios(ratios);
