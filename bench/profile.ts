// Where a server's CPU goes per beacon: runs one target under autocannon load with --cpu-prof and
// --trace-gc, then prints its CPU per beacon from /proc, the heap allocated per beacon (from the GC
// trace), and the main thread's profile in µs per beacon by package / source file and by function.
//   TARGET=service|minimal|bare MODE=single|sessions SECONDS=10 CONNECTIONS=50 npm run bench:profile
// Extra environment for the service passes through (e.g. FLUSH_MAX_ROWS=500). Needs MariaDB.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { SourceMap } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { createConnection } from 'mysql2/promise';
import { cpuMs, cpuSplitMs, mariadbPid } from './proc.js';

const TARGET = process.env.TARGET ?? 'service';
const MODE = process.env.MODE ?? 'single';
const SECONDS = Number(process.env.SECONDS ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50);
const TOP = Number(process.env.TOP ?? 30);
// ALLOC=1: also where the heap allocations of the load come from (bench/alloc-sampler.mjs).
const ALLOC = process.env.ALLOC === '1';
const SERVER = process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
const ORIGIN = 'https://shop.example';
const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const PORT = 3311;

const db = `bench_profile_${process.pid}`;
const admin = await createConnection({ uri: SERVER, multipleStatements: true });
await admin.query(`CREATE DATABASE \`${db}\``);
if (TARGET === 'minimal') await admin.query(`USE \`${db}\`; ${readFileSync(new URL('peers/sketch-schema.sql', import.meta.url), 'utf8')}`);
const dir = mkdtempSync(join(tmpdir(), 'bench-profile-'));
const script = { service: 'dist/server.js', minimal: 'bench/peers/sketch-batched.cjs', bare: 'bench/bare-server.mjs' }[TARGET];
if (script === undefined) throw new Error(`TARGET=${TARGET}: service, minimal or bare`);
const env = {
  ...process.env, PORT: String(PORT), HOST: '127.0.0.1', LOG_LEVEL: 'warn', DB: db, HASH_SECRET: 'bench-secret-0123456789',
  TRUST_PROXY: 'loopback', FLUSH_INTERVAL_MS: '1000', ALLOWED_ORIGINS: ORIGIN, DATABASE_URL: `${SERVER}/${db}`, DATA_DIR: join(dir, 'data'), ALLOC_PROFILE_PATH: join(dir, 'alloc.heapprofile'), LOOP_DELAY_PATH: join(dir, 'loop-delay.json'),
};
// The peers have no SIGTERM handler, and a process killed by a signal writes no profile.
const exitOnTerm = TARGET === 'service' ? [] : ['--import', 'data:text/javascript,process.on("SIGTERM",()=>process.exit(0))'];
const allocPath = join(dir, 'alloc.heapprofile');
const sampler = ALLOC ? ['--import', new URL('alloc-sampler.mjs', import.meta.url).href] : [];
const loopPath = join(dir, 'loop-delay.json');
sampler.push('--import', new URL('loop-delay.mjs', import.meta.url).href);
const child = spawn(process.execPath, [...exitOnTerm, ...sampler, '--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=250', '--trace-gc', script], { env, stdio: ['ignore', 'pipe', 'inherit'] });
let gcTrace = '';
child.stdout.setEncoding('utf8').on('data', (s: string) => (gcTrace += s));
const base = `http://127.0.0.1:${PORT}`;
for (let i = 0; i < 300; i++) {
  const ok = TARGET === 'service' ? (await fetch(`${base}/ready`).catch(() => null))?.status === 200 : (await fetch(`${base}/collect`, { method: 'POST', body: '{}' }).catch(() => null))?.status === 204;
  if (ok) break;
  await sleep(100);
}
const body = JSON.stringify({ url: 'https://shop.example/p/0?utm_source=news', referrer: 'https://www.google.com/', viewportW: 1280, viewportH: 720 });
let n = 0;
gcTrace = '';
if (ALLOC) child.kill('SIGWINCH');
child.kill('SIGURG');
const t0 = Number(process.hrtime.bigint() / 1000n); // µs, CLOCK_MONOTONIC as V8's profile times
const split0 = cpuSplitMs(child.pid);
const dbPid = mariadbPid();
const db0 = cpuMs(dbPid);
const r = await autocannon({
  url: `${base}/collect`, method: 'POST', connections: CONNECTIONS, duration: SECONDS, body,
  headers: { 'content-type': 'application/json', 'user-agent': UA, origin: ORIGIN },
  ...(MODE === 'sessions'
    ? { requests: [{ setupRequest: (req: autocannon.Request) => { n++; return { ...req, headers: { ...req.headers, 'x-forwarded-for': `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` } }; } }] }
    : {}),
});
await sleep(TARGET === 'minimal' ? 5500 : 1500); // its rows written (the minimal design flushes every 5 s)
child.kill('SIGURG');
const answered = r['2xx'];
const t1 = Number(process.hrtime.bigint() / 1000n);
const split1 = cpuSplitMs(child.pid);
const userUs = ((split1.user - split0.user) * 1000) / answered;
const kernelUs = ((split1.kernel - split0.kernel) * 1000) / answered;
const cpuUs = userUs + kernelUs;
const dbUs = ((cpuMs(dbPid) - db0) * 1000) / answered;
const logged = gcTrace.split('\n').filter((l) => l.startsWith('{'));
const gcLines = gcTrace.split('\n').filter((l) => /Scavenge|Mark-Compact|Mark-sweep/.test(l));
if (ALLOC) {
  child.kill('SIGWINCH');
  for (let i = 0; i < 100 && !existsSync(allocPath); i++) await sleep(100);
}
if (child.exitCode === null && child.signalCode === null) {
  child.kill('SIGTERM');
  await once(child, 'exit');
}
await admin.query(`DROP DATABASE IF EXISTS \`${db}\``);
await admin.end();

// Allocated ≈ the sum over collections of (heap before this one - heap after the previous one).
let allocatedMb = 0;
let after: number | null = null;
for (const l of gcLines) {
  const m = /([\d.]+) \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB/.exec(l);
  if (!m) continue;
  if (after !== null) allocatedMb += Math.max(0, Number(m[1]) - after);
  after = Number(m[2]);
}
console.log(`${TARGET}, ${MODE}: ${answered} beacons answered in ${SECONDS} s (${Math.round(answered / SECONDS)}/s), p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, max ${r.latency.max} ms`);
console.log(`CPU ${cpuUs.toFixed(1)} µs per beacon (all threads, /proc): user ${userUs.toFixed(1)}, kernel ${kernelUs.toFixed(1)}; MariaDB ${dbUs.toFixed(1)} µs per beacon`);
if (logged.length > 0) console.log(`${logged.length} log lines under load, e.g. ${logged[0]?.slice(0, 300)}`);
for (let i = 0; i < 50 && !existsSync(loopPath); i++) await sleep(100);
if (existsSync(loopPath)) {
  const d = JSON.parse(readFileSync(loopPath, 'utf8')) as Record<string, number>;
  console.log(`event loop delay under load and while its rows were written: p50 ${d.p50} ms, p99 ${d.p99} ms, p99.9 ${d.p999} ms, max ${d.max} ms`);
}
console.log(`GC: ${gcLines.filter((l) => l.includes('Scavenge')).length} scavenges, ${gcLines.filter((l) => !l.includes('Scavenge')).length} mark-compacts; ~${((allocatedMb * 2 ** 20) / answered).toFixed(0)} bytes allocated per beacon`);

interface Frame { functionName: string; url: string; lineNumber: number; columnNumber?: number }
interface Node { id: number; callFrame: Frame; children?: number[] }
// The service is a bundle (scripts/build-server.mjs): a frame in dist/ is mapped back through the
// bundle's source map to the file it came from (src/..., node_modules/<package>/...), so the
// buckets and causes below read the same as from a file-per-module build.
const maps = new Map<string, SourceMap | null>();
function original(frame: Frame): Frame {
  if (!frame.url.startsWith('file://') || !frame.url.includes('/dist/')) return frame;
  const file = fileURLToPath(frame.url);
  if (!maps.has(file)) maps.set(file, existsSync(`${file}.map`) ? new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8'))) : null);
  const entry = maps.get(file)?.findEntry(frame.lineNumber, frame.columnNumber ?? 0) as { originalSource?: string; originalLine?: number } | undefined;
  if (entry?.originalSource === undefined) return frame;
  const source = entry.originalSource.startsWith('file://') ? fileURLToPath(entry.originalSource) : resolve(dirname(file), entry.originalSource);
  return { ...frame, url: `file://${source}`, lineNumber: entry.originalLine ?? frame.lineNumber };
}
const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
if (file === undefined) throw new Error('no profile written');
const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number };
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map<number, number>();
// Only the samples taken under load and while its rows were written: not start-up nor shutdown.
let at = profile.startTime;
profile.samples.forEach((id, i) => {
  const delta = profile.timeDeltas[i] ?? 0;
  at += delta;
  if (at >= t0 && at <= t1) self.set(id, (self.get(id) ?? 0) + delta);
});
const bucketOf = (url: string, fn: string): string => {
  if (url === '') return fn.startsWith('(') ? fn : `(native) ${fn}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] as string;
  if (url.startsWith('node:')) return url;
  const src = /\/(dist|src|bench)\/(.*)$/.exec(url);
  return src ? `${src[1]}/${src[2]}` : url;
};
// Causes, as issue 18's table in docs/performance.md names them.
const CAUSES: [string, (url: string, fn: string) => boolean][] = [
  ['GC', (_u, f) => f === '(garbage collector)'],
  ['V8 (program), unattributed native', (_u, f) => f === '(program)'],
  ['CORS', (u) => u.includes('cors')],
  ['logging (pino)', (u) => u.includes('pino') || u.includes('logger')],
  ['metrics', (u) => u.includes('prom-client') || u.includes('ops/metrics') || u.includes('ingest-events')],
  ['body decode (JSON.parse, decode-body)', (u, f) => u.includes('decode-body') || u.includes('secure-json-parse') || u.includes('body-parsers') || f === 'parse'],
  ['flush: buffer, statement text, mysql2', (u) => /mysql2|sql-escaper|\/sinks\/|\/buffer\/|lru\.min|denque|seq-queue|iconv/.test(u)],
  ['pipeline + route (validate, enrich, sessions, hash)', (u) => /\/pipeline\/|lru-cache|bowser|isbot|maxmind|mmdb|ipaddr|routes\/collect|sketch-batched|crypto|node:internal\/url/.test(u)],
  ['Fastify: routing, hooks, reply, trust proxy', (u) => /fastify|find-my-way|under-pressure|proxy-addr|forwarded|toad-cache/.test(u)],
  ['HTTP + socket (Node)', (u, f) => ['writeLatin1String', 'writeBuffer', 'writev', 'utf8Write'].includes(f) || /_http|stream|node:net/.test(u)],
  ['promises, nextTick', (u, f) => f === 'runMicrotasks' || /task_queues|promises|async_hooks/.test(u)],
  ['timers (socket and request timeouts)', (u, f) => u.includes('timers') || f === 'getLibuvNow'],
];
const causes = new Map<string, number>();
const buckets = new Map<string, number>();
const fns = new Map<string, number>();
for (const [id, us] of self) {
  const { functionName, url, lineNumber } = original(byId.get(id)!.callFrame);
  const b = bucketOf(url, functionName);
  const cause = functionName === '(idle)' ? '(idle)' : CAUSES.find(([, test]) => test(url, functionName))?.[0] ?? 'other';
  causes.set(cause, (causes.get(cause) ?? 0) + us);
  buckets.set(b, (buckets.get(b) ?? 0) + us);
  const f = `${functionName || '(anonymous)'} ${b}:${lineNumber + 1}`;
  fns.set(f, (fns.get(f) ?? 0) + us);
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
const busy = total - (buckets.get('(idle)') ?? 0);
// The socket writes are system calls; waking the load generator inside one often ends in the
// scheduler running it before returning, and a wall-clock sample then lands on the write. So the
// user-mode causes are also shown as shares of the samples outside those calls, scaled to utime.
const SYSCALLS = ['(native) writeLatin1String', '(native) writeBuffer', '(native) writev', '(native) utf8Write'];
const userBusy = busy - SYSCALLS.reduce((a, k) => a + (buckets.get(k) ?? 0), 0);
// A sampled µs is wall time on the main thread: on a loaded machine it includes time the thread
// waited for a core. The second column scales each share of the busy samples to the CPU per beacon
// that /proc counted (all threads), which is what compares between runs.
const show = (title: string, m: Map<string, number>) => {
  console.log(`\n${title} (main thread; sampled µs per beacon, busy ${(busy / answered).toFixed(1)} of ${(total / answered).toFixed(1)}; share of busy; share × /proc CPU):`);
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
    if (k === '(idle)') continue;
    console.log(`  ${(us / answered).toFixed(2).padStart(7)}  ${(100 * us / busy).toFixed(1).padStart(5)}%  ${((us / busy) * cpuUs).toFixed(2).padStart(6)}  ${k}`);
  }
};
show('self time by cause', causes);
console.log(`\nuser-mode causes (share of the samples outside the socket writes × utime ${userUs.toFixed(1)} µs; the writes' kernel time is in stime ${kernelUs.toFixed(1)} µs):`);
const userCauses = new Map(causes);
userCauses.set('HTTP + socket (Node)', (causes.get('HTTP + socket (Node)') ?? 0) - (busy - userBusy));
for (const [k, us] of [...userCauses].sort((a, b) => b[1] - a[1])) if (k !== '(idle)') console.log(`  ${((us / userBusy) * userUs).toFixed(2).padStart(6)}  ${k}`);
show('self time by package or file', buckets);
show('self time by function', fns);
if (ALLOC) {
  interface AllocNode { callFrame: Frame; selfSize: number; children: AllocNode[] }
  const { head } = JSON.parse(readFileSync(allocPath, 'utf8')) as { head: AllocNode };
  const bytes = new Map<string, number>();
  const files = new Map<string, number>();
  const walk = (node: AllocNode) => {
    const { functionName, url, lineNumber } = original(node.callFrame);
    const b = bucketOf(url, functionName);
    bytes.set(`${functionName || '(anonymous)'} ${b}:${lineNumber + 1}`, (bytes.get(`${functionName || '(anonymous)'} ${b}:${lineNumber + 1}`) ?? 0) + node.selfSize);
    files.set(b, (files.get(b) ?? 0) + node.selfSize);
    node.children.forEach(walk);
  };
  walk(head);
  const sum = [...files.values()].reduce((a, b) => a + b, 0);
  for (const [title, m] of [['by package or file', files], ['by function', bytes]] as const) {
    console.log(`\nheap allocated under load ${title} (bytes per beacon, sampled; ${(sum / answered).toFixed(0)} in all):`);
    for (const [k, b] of [...m].sort((x, y) => y[1] - x[1]).slice(0, TOP)) console.log(`  ${(b / answered).toFixed(0).padStart(7)}  ${k}`);
  }
}
console.log(`\nprofile: ${join(dir, file)}`);
