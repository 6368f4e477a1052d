// Peak memory with the database away while large valid beacons arrive at full speed, and whether
// every one of them is stored once it is back (docs/operations.md, "When the database is away").
// `npm run bench:memory` (BEACONS, SENDERS to change the run; any service variable passes through,
// e.g. BUFFER_MAX_BYTES=268435456 npm run bench:memory).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createConnection } from 'mysql2/promise';
import { migrateMysql } from '../src/sinks/mysql-migrate.js';
import { freePort } from '../test/helpers/process.js';
import { startTcpProxy } from '../test/helpers/tcp-proxy.js';
import { CONTAINER_HEAP, PER_REQUEST, sendLargeBeacons } from './large-beacon.js';

const BEACONS = Number(process.env.BEACONS ?? 60_000);
const SENDERS = Number(process.env.SENDERS ?? 8);
const SERVER = process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

const status = (pid: number, field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;

const dbName = `bench_memory_${process.pid}`;
const admin = await createConnection({ uri: SERVER });
await admin.query(`CREATE DATABASE \`${dbName}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
await migrateMysql(`${SERVER}/${dbName}`);
const proxy = await startTcpProxy(Number(new URL(SERVER).port || 3306), new URL(SERVER).hostname);
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const child = spawn(process.execPath, ['dist/server.js'], {
  env: {
    ...process.env, DATABASE_URL: `mysql://root@127.0.0.1:${proxy.port}/${dbName}`, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: process.env.LOG_LEVEL ?? 'error',
    DATA_DIR: mkdtempSync(join(tmpdir(), 'bench-memory-')), HASH_SECRET: 'bench-secret-0123456789', NODE_OPTIONS: process.env.NODE_OPTIONS ?? CONTAINER_HEAP,
  },
  stdio: ['ignore', 'inherit', 'inherit'],
});
const pid = child.pid as number;
try {
  for (let i = 0; (await fetch(`${base}/ready`).catch(() => null))?.status !== 200; i++) {
    if (i > 200) throw new Error('the service did not start');
    await sleep(100);
  }
  console.log(`started: RSS ${status(pid, 'VmRSS').toFixed(0)} MB`);
  proxy.cut();
  const started = Date.now();
  const sending = sendLargeBeacons(base, BEACONS, SENDERS, UA);
  const sampler = setInterval(() => console.log(`  ${((Date.now() - started) / 1000).toFixed(0)} s: ${sending.sent()} sent, RSS ${status(pid, 'VmRSS').toFixed(0)} MB`), 5000);
  const { failed } = await sending.done;
  clearInterval(sampler);
  const seconds = (Date.now() - started) / 1000;
  console.log(`database away: ${BEACONS} beacons (${PER_REQUEST} a request, ${SENDERS} senders) in ${seconds.toFixed(1)} s, ${Math.round(BEACONS / seconds)}/s, ${failed} requests not 204`);
  console.log(`peak RSS with the database away: ${status(pid, 'VmHWM').toFixed(0)} MB`);
  proxy.heal();
  const healed = Date.now();
  let stored = 0;
  while (stored < BEACONS && Date.now() - healed < 600_000) {
    await sleep(500);
    const [rows] = await admin.query(`SELECT COUNT(*) AS n FROM \`${dbName}\`.pageviews`);
    stored = Number((rows as { n: number }[])[0]?.n);
  }
  console.log(`stored ${stored} of ${BEACONS} in ${((Date.now() - healed) / 1000).toFixed(1)} s after the database came back (${stored === BEACONS ? 'all' : 'MISSING ' + (BEACONS - stored)})`);
  console.log(`peak RSS overall: ${status(pid, 'VmHWM').toFixed(0)} MB`);
  if (failed > 0 || stored !== BEACONS) process.exitCode = 1;
} finally {
  child.kill('SIGTERM');
  await once(child, 'exit');
  await proxy.close();
  await admin.query(`DROP DATABASE IF EXISTS \`${dbName}\``);
  await admin.end();
}
