// Cost of BUFFER_DURABILITY=disk against the default, measured in one run: both services run at
// once against MariaDB, driven in alternating rounds by autocannon from this process, and compared
// as ratios (the machine is noisy: absolute figures from different moments do not compare).
// `node --import tsx bench/durability.ts` (ROUNDS, SECONDS, CONNECTIONS to change the run)
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { createConnection } from 'mysql2/promise';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const SECONDS = Number(process.env.SECONDS ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50);
const SERVER = process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

interface Service { name: string; port: number; db: string; child: ChildProcess }

async function startService(name: string, port: number, env: Record<string, string>): Promise<Service> {
  const db = `bench_${name}_${process.pid}`;
  const admin = await createConnection({ uri: SERVER });
  await admin.query(`DROP DATABASE IF EXISTS \`${db}\``);
  await admin.query(`CREATE DATABASE \`${db}\``);
  await admin.end();
  const child = spawn(process.execPath, ['dist/server.js'], {
    env: { ...process.env, DATABASE_URL: `${SERVER}/${db}`, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', DATA_DIR: mkdtempSync(join(tmpdir(), `bench-${name}-`)), HASH_SECRET: 'bench-secret-0123456789', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let i = 0; i < 200; i++) {
    if ((await fetch(`http://127.0.0.1:${port}/ready`).catch(() => null))?.status === 200) return { name, port, db, child };
    await sleep(100);
  }
  throw new Error(`${name} did not start`);
}

async function drive(port: number): Promise<{ rps: number; p50: number; p99: number; answered: number }> {
  const r = await autocannon({
    url: `http://127.0.0.1:${port}/collect`, method: 'POST', connections: CONNECTIONS, duration: SECONDS,
    headers: { 'content-type': 'text/plain', 'user-agent': UA },
    body: JSON.stringify({ url: 'https://example.com/pricing?plan=pro', referrer: 'https://www.google.com/', viewportW: 1280, viewportH: 720 }),
  });
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${r.non2xx} non-2xx, ${r.errors} errors`);
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, answered: r['2xx'] };
}

async function stored(db: string): Promise<number> {
  const conn = await createConnection({ uri: `${SERVER}/${db}` });
  const [rows] = await conn.query('SELECT COUNT(*) AS n FROM pageviews');
  await conn.end();
  return Number((rows as { n: number }[])[0]?.n);
}

const memory = await startService('memory', 3201, { BUFFER_DURABILITY: 'memory' });
const disk = await startService('disk', 3202, { BUFFER_DURABILITY: 'disk' });
const results: Record<string, { rps: number; p50: number; p99: number }[]> = { memory: [], disk: [] };
const answered: Record<string, number> = { memory: 0, disk: 0 };
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of [memory, disk]) {
      const r = await drive(s.port);
      results[s.name]!.push(r);
      answered[s.name]! += r.answered;
      console.log(`round ${round + 1} ${s.name.padEnd(6)} ${Math.round(r.rps)} beacons/s  p50 ${r.p50} ms  p99 ${r.p99} ms`);
    }
  }
} finally {
  for (const s of [memory, disk]) {
    s.child.kill('SIGTERM');
    await once(s.child, 'exit');
  }
}
const ratios = results.memory!.map((m, i) => ({ rps: results.disk![i]!.rps / m.rps, p99: results.disk![i]!.p99 / Math.max(1, m.p99), p50: results.disk![i]!.p50 / Math.max(1, m.p50) }));
const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
console.log(`\ndisk / memory, median of ${ROUNDS} paired rounds: throughput ${median(ratios.map((r) => r.rps)).toFixed(2)}x, p50 ${median(ratios.map((r) => r.p50)).toFixed(2)}x, p99 ${median(ratios.map((r) => r.p99)).toFixed(2)}x`);
for (const s of [memory, disk]) {
  const n = await stored(s.db);
  console.log(`${s.name}: ${answered[s.name]} beacons answered, ${n} stored (${n >= answered[s.name]! ? 'all' : 'MISSING ' + (answered[s.name]! - n)})`);
  const admin = await createConnection({ uri: SERVER });
  await admin.query(`DROP DATABASE IF EXISTS \`${s.db}\``);
  await admin.end();
}
