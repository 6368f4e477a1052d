// Cost of sessionisation per beacon: the collector's whole per-item pipeline run with the real
// in-memory session store, against the same pipeline with a store that assigns nothing, in one
// process and one run. `node --import tsx bench/sessionize.ts`
import { Collector } from '../src/pipeline/collector.js';
import type { Decoded } from '../src/pipeline/decode-body.js';
import { MemorySessionStore } from '../src/pipeline/memory-session-store.js';
import { SaltStore } from '../src/pipeline/salt-store.js';
import type { SessionStore } from '../src/pipeline/session-store.js';
import type { PageviewRow } from '../src/sinks/sink.js';

const N = Number(process.env.BEACONS ?? 400_000);
const ROUNDS = 3;
const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

const noSessions: SessionStore = { assign: () => ({ sessionId: null, snapshot: null }), warm: () => {}, size: 0, close: () => {} };
const salts = new SaltStore({ getOrCreateSalt: async (_d, c) => c, deleteSaltsBefore: async () => 0 }, Date.now);
await salts.refresh();

function collector(sessions: SessionStore): Collector {
  let held = 0;
  return new Collector({
    allowedOrigins: null, requireOrigin: false, ipStorage: 'truncated', hashSecret: 'bench-secret-0123456789', clock: Date.now,
    salts, sessions, sessionTimeoutMs: 1_800_000,
    queue: { push: (_r: PageviewRow) => (held++, true) },
    events: { received: () => {}, accepted: () => {}, rejected: () => {}, fieldDropped: () => {} },
  });
}

async function run(c: Collector, visitors: number): Promise<number> {
  const items: Decoded[] = Array.from({ length: 100 }, (_, i) => ({
    ok: true,
    items: [{ url: `https://shop.example/p/${i}?utm_source=news`, referrer: 'https://www.google.com/', viewportW: 1280, viewportH: 720 }],
  }));
  const started = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    const ip = `10.0.${(i % visitors) >> 8}.${(i % visitors) & 255}`;
    await c.ingest(items[i % 100] as Decoded, { origin: undefined, ip, userAgent: UA });
  }
  return Number(process.hrtime.bigint() - started) / 1e3 / N;
}

for (const [label, visitors] of [['returning visitors (1,000)', 1_000], ['distinct visitors (every beacon new)', N]] as const) {
  const base: number[] = [];
  const withSessions: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    base.push(await run(collector(noSessions), visitors));
    withSessions.push(await run(collector(new MemorySessionStore({ timeoutMs: 1_800_000, max: 200_000 })), visitors));
  }
  const b = Math.min(...base);
  const s = Math.min(...withSessions);
  console.log(`${label}: pipeline ${b.toFixed(2)} µs/beacon without sessions, ${s.toFixed(2)} with: sessionisation costs ${(s - b).toFixed(2)} µs/beacon (${((s / b - 1) * 100).toFixed(0)}%)`);
}
