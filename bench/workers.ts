// WORKERS=1 against WORKERS=2, both with REDIS_URL (sessions shared through Redis), measured in one
// run: each round starts each configuration afresh (own database, DATA_DIR, port, site hostname),
// drives it with autocannon from this process, stops it with SIGTERM and counts the rows it stored.
// Configurations alternate (1, 2, 1, 2, …) and are compared per round as a ratio: absolute figures
// from different moments do not compare on a noisy 2-core machine shared with MariaDB and Redis.
// CPU per process (service tree, mariadbd, redis-server, this process = autocannon) is read from
// /proc over each drive, to show where the two cores went.
//   ROUNDS=3 SECONDS=10 CONNECTIONS=50 npm run bench:workers [-- --json]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { createConnection } from 'mysql2/promise';

const JSON_OUT = process.argv.includes('--json');
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const SECONDS = Number(process.env.SECONDS ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50);
const VISITORS = 5000;
const SERVER = process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const RUN = `bench-${randomBytes(4).toString('hex')}`;
const CONFIGS = [1, 2] as const;
const log = (s: string) => { if (!JSON_OUT) console.log(s); };

interface Round {
  round: number; workers: number; rps: number; p50: number; p99: number; peakRssMb: number;
  answered: number; sent: number; stored: number; errors: number; sessionStoreErrors: number;
  cpu: { service: number; mariadb: number; redis: number; autocannon: number; machine: number };
}

// --- /proc: processes, CPU ticks, RSS ----------------------------------------------------------
const stat = (pid: number): string[] | null => {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' '); // [0] state, [1] ppid, [11] utime, [12] stime
  } catch {
    return null;
  }
};
const pids = () => readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
function tree(root: number): number[] {
  const all = pids().map((pid) => [pid, Number(stat(pid)?.[1])] as const);
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const [pid, ppid] of all) if (ppid === out[i]) out.push(pid);
  return out;
}
const byComm = (name: string) => pids().filter((pid) => { try { return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name; } catch { return false; } });
const ticks = (list: number[]) => list.reduce((sum, pid) => { const s = stat(pid); return sum + (s ? Number(s[11]) + Number(s[12]) : 0); }, 0);
const rssKb = (pid: number) => { try { return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0); } catch { return 0; } };
function machineBusy(): { busy: number; total: number } {
  const f = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - (f[3] ?? 0) - (f[4] ?? 0), total };
}

// --- helpers ------------------------------------------------------------------------------------
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
function metric(text: string, name: string): number {
  // Sums every series of the metric (labelled or not).
  return text.split('\n').filter((l) => l.startsWith(name + ' ') || l.startsWith(name + '{')).reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}
async function freePort(): Promise<number> {
  const srv = createServer().listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  srv.close();
  return port;
}
async function adminQuery(sql: string): Promise<void> {
  const admin = await createConnection({ uri: SERVER });
  try { await admin.query(sql); } finally { await admin.end(); }
}
async function countRows(db: string): Promise<number> {
  const conn = await createConnection({ uri: `${SERVER}/${db}` });
  try {
    const [rows] = await conn.query('SELECT COUNT(*) AS n FROM pageviews');
    return Number((rows as { n: number }[])[0]?.n);
  } finally {
    await conn.end();
  }
}
async function deleteKeys(redis: Redis, pattern: string): Promise<number> {
  let cursor = '0';
  let n = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) n += await redis.del(...keys);
  } while (cursor !== '0');
  return n;
}

async function drive(port: number, host: string) {
  const bodies = Array.from({ length: 50 }, (_, i) => JSON.stringify({
    type: 'pageview', url: `https://${host}/p/${i}?utm_source=news`, referrer: 'https://www.google.com/', viewportW: 1280, viewportH: 720,
  }));
  let n = 0;
  const r = await autocannon({
    url: `http://127.0.0.1:${port}/collect`, method: 'POST', connections: CONNECTIONS, duration: SECONDS,
    headers: { 'content-type': 'text/plain', 'user-agent': UA, origin: `https://${host}` },
    // Every request from one of VISITORS addresses (TRUST_PROXY=loopback) and one of 50 pages.
    requests: [{
      setupRequest: (req: autocannon.Request) => {
        const v = n++ % VISITORS;
        return { ...req, body: bodies[n % bodies.length], headers: { ...req.headers, 'x-forwarded-for': `10.77.${v >> 8}.${v & 255}` } };
      },
    }],
  });
  // Requests still in flight when the duration ends are stored but not counted as answered: sent is an upper bound.
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, answered: r['2xx'], sent: n, errors: r.errors + r.non2xx };
}

// --- one round of one configuration ------------------------------------------------------------
async function runOne(round: number, workers: number, redis: Redis): Promise<Round> {
  const host = `${RUN}-r${round}-w${workers}.example.com`;
  const db = `bench_workers_${process.pid}_${round}_${workers}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-workers-'));
  const port = await freePort();
  await adminQuery(`DROP DATABASE IF EXISTS \`${db}\``);
  await adminQuery(`CREATE DATABASE \`${db}\``);
  // LOG_LEVEL=info for both configurations: the primary says "worker listening" once per worker at
  // info, and nothing on the beacon path logs at info (request logging is off), so it costs nothing.
  const child = spawn(process.execPath, ['dist/server.js'], {
    env: {
      ...process.env, DATABASE_URL: `${SERVER}/${db}`, REDIS_URL, WORKERS: String(workers), ALLOWED_ORIGINS: '*',
      HASH_SECRET: 'bench-secret-0123456789', TRUST_PROXY: 'loopback', LOG_LEVEL: 'info', DATA_DIR: dataDir,
      PORT: String(port), HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const pid = child.pid as number;
  let listening = 0;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let entry: { level?: number; msg?: string } = {};
    try { entry = JSON.parse(line); } catch { /* not JSON */ }
    if (entry.msg === 'worker listening') listening++;
    else if ((entry.level ?? 0) >= 40) process.stderr.write(`  [service w${workers}] ${line}\n`);
  });
  const exited = once(child, 'exit');
  let peakKb = 0;
  const sampler = setInterval(() => { peakKb = Math.max(peakKb, tree(pid).reduce((s, p) => s + rssKb(p), 0)); }, 500);
  try {
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error(`WORKERS=${workers} exited during start (code ${child.exitCode})`);
      if (i > 600) throw new Error(`WORKERS=${workers} not ready after 60 s (${listening} workers listening)`);
      const ready = (await fetch(`${base}/ready`).catch(() => null))?.status === 200;
      if (ready && (workers === 1 || listening >= workers)) break;
      await sleep(100);
    }
    const db0 = byComm('mariadbd'), redis0 = byComm('redis-server');
    const svcPids = tree(pid);
    const before = { svc: ticks(svcPids), db: ticks(db0), redis: ticks(redis0), self: ticks([process.pid]), m: machineBusy(), t: performance.now() };
    const r = await drive(port, host);
    const svcAfter = tree(pid); // the same processes unless a worker was restarted
    const secs = (performance.now() - before.t) / 1000;
    const pct = (t: number) => Math.round(t / secs); // ticks are 1/100 s: ticks per second = % of one core
    const m = machineBusy();
    const cpu = {
      service: pct(ticks(svcAfter) - before.svc),
      mariadb: pct(ticks(db0) - before.db), redis: pct(ticks(redis0) - before.redis), autocannon: pct(ticks([process.pid]) - before.self),
      machine: Math.round(((m.busy - before.m.busy) / (m.total - before.m.total)) * 100 * cpus().length),
    };
    const text = await (await fetch(`${base}/metrics`)).text();
    const sessionStoreErrors = metric(text, 'beacon_session_store_errors_total');
    clearInterval(sampler);
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    await exited;
    clearTimeout(timer);
    if (child.exitCode !== 0) process.stderr.write(`  WORKERS=${workers} exited with ${child.exitCode ?? child.signalCode}\n`);
    const stored = await countRows(db);
    return { round, workers, rps: r.rps, p50: r.p50, p99: r.p99, peakRssMb: Math.round(peakKb / 1024), answered: r.answered, sent: r.sent, stored, errors: r.errors, sessionStoreErrors, cpu };
  } finally {
    clearInterval(sampler);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    await adminQuery(`DROP DATABASE IF EXISTS \`${db}\``);
    await deleteKeys(redis, `beacon:s:${host}:*`);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// --- main ----------------------------------------------------------------------------------------
const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
const rounds: Round[] = [];
log(`beacon-ingest WORKERS bench: ${cpus().length} cores (${cpus()[0]?.model}), ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}; ` +
  `autocannon ${CONNECTIONS} connections, ${SECONDS} s, ${ROUNDS} rounds, ${VISITORS} visitors, REDIS_URL for both; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
try {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const workers of CONFIGS) {
      const r = await runOne(round, workers, redis);
      rounds.push(r);
      log(`  round ${round}: WORKERS=${workers} ${Math.round(r.rps)} beacons/s, p50 ${r.p50} ms, p99 ${r.p99} ms, peak RSS ${r.peakRssMb} MB, ` +
        `stored ${r.stored}, answered ${r.answered}, sent ${r.sent}${r.errors ? `, ${r.errors} errors` : ''}${r.sessionStoreErrors ? `, ${r.sessionStoreErrors} session store errors` : ''}; ` +
        `CPU % of a core: service ${r.cpu.service}, mariadbd ${r.cpu.mariadb}, redis ${r.cpu.redis}, autocannon ${r.cpu.autocannon}, machine ${r.cpu.machine}/${cpus().length * 100}`);
      await sleep(1000);
    }
  }
} finally {
  await deleteKeys(redis, `beacon:s:${RUN}-*`);
  redis.disconnect();
}

const ratios = Array.from({ length: ROUNDS }, (_, i) => {
  const one = rounds.find((r) => r.round === i + 1 && r.workers === 1);
  const two = rounds.find((r) => r.round === i + 1 && r.workers === 2);
  return one && two ? two.rps / one.rps : NaN;
});
const summary = CONFIGS.map((workers) => {
  const rs = rounds.filter((r) => r.workers === workers);
  const sum = (f: (r: Round) => number) => rs.reduce((s, r) => s + f(r), 0);
  return {
    workers, beaconsPerSecond: Math.round(median(rs.map((r) => r.rps))), ratioTo1Worker: workers === 1 ? 1 : median(ratios),
    p50: median(rs.map((r) => r.p50)), p99: median(rs.map((r) => r.p99)), peakRssMb: Math.max(...rs.map((r) => r.peakRssMb)),
    answered: sum((r) => r.answered), sent: sum((r) => r.sent), stored: sum((r) => r.stored), errors: sum((r) => r.errors),
    cpuService: median(rs.map((r) => r.cpu.service)), cpuMariadb: median(rs.map((r) => r.cpu.mariadb)),
    cpuRedis: median(rs.map((r) => r.cpu.redis)), cpuAutocannon: median(rs.map((r) => r.cpu.autocannon)), cpuMachine: median(rs.map((r) => r.cpu.machine)),
  };
});
if (JSON_OUT) {
  console.log(JSON.stringify({ cores: cpus().length, rounds: ROUNDS, seconds: SECONDS, connections: CONNECTIONS, visitors: VISITORS, ratios, summary, perRound: rounds }, null, 2));
} else {
  log(`\nratio 2 workers / 1 worker per round: ${ratios.map((r) => r.toFixed(2)).join(', ')}`);
  log('| WORKERS (Redis) | beacons/s (median) | × 1 worker (median of round ratios) | p50 ms | p99 ms | peak RSS MB (tree) | stored / answered / sent | errors | CPU %: service / mariadbd / redis / autocannon / machine |');
  log('|---|---|---|---|---|---|---|---|---|');
  for (const s of summary) {
    log(`| ${s.workers} | ${s.beaconsPerSecond} | ${s.ratioTo1Worker.toFixed(2)} | ${s.p50} | ${s.p99} | ${s.peakRssMb} | ${s.stored} / ${s.answered} / ${s.sent} | ${s.errors} | ` +
      `${s.cpuService} / ${s.cpuMariadb} / ${s.cpuRedis} / ${s.cpuAutocannon} / ${s.cpuMachine} of ${cpus().length * 100} |`);
  }
  log(`load at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}
// Every answered beacon must be stored; beyond those, at most the ones in flight at the end.
if (rounds.some((r) => r.stored < r.answered || r.stored > r.sent)) {
  process.stderr.write('rows stored outside [answered, sent] in some round: beacons lost or duplicated\n');
  process.exitCode = 1;
}
