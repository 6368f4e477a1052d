// Per-beacon cost of the collector's stages, in one process and one run: the pipeline with each
// enrichment stage added in turn, so each difference is that stage's cost.
// `node --import tsx bench/pipeline.ts` (BEACONS=n to change the count)
import { BlockList } from 'node:net';
import { BUNDLED_GEOIP_DB } from '../src/config.js';
import { Collector, type CollectorOptions } from '../src/pipeline/collector.js';
import type { Decoded } from '../src/pipeline/decode-body.js';
import { GeoIp } from '../src/pipeline/geoip.js';
import { MemorySessionStore } from '../src/pipeline/memory-session-store.js';
import { compileTrust } from '../src/pipeline/proxy-trust.js';
import { QueryStripper } from '../src/pipeline/query-strip.js';
import { SaltStore } from '../src/pipeline/salt-store.js';
import type { SessionStore } from '../src/pipeline/session-store.js';
import { AgentParser, type Agent } from '../src/pipeline/user-agent.js';

const N = Number(process.env.BEACONS ?? 300_000);
const ROUNDS = 3;
const UAS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
];
const FIXED_AGENT: Agent = { stored: UAS[0] as string, browser: 'Chrome', os: 'Windows', device: 'desktop', bot: false, emailProxy: false };
const noSessions: SessionStore = { assign: () => ({ sessionId: null, snapshot: null }), warm: () => {}, size: 0, close: () => {} };
const salts = new SaltStore({ getOrCreateSalt: async (_d, c) => c, deleteSaltsBefore: async () => 0 }, Date.now);
await salts.refresh();
const geo = await GeoIp.open(BUNDLED_GEOIP_DB);

type Stages = { agents: boolean; geo: boolean; sessions: boolean };
function collector(stages: Stages): Collector {
  const options: CollectorOptions = {
    allowedOrigins: null, requireOrigin: false, ipStorage: 'truncated', hashSecret: 'bench-secret-0123456789', clock: Date.now,
    salts, sessions: stages.sessions ? new MemorySessionStore({ timeoutMs: 1_800_000, max: 200_000 }) : noSessions,
    sessionTimeoutMs: 1_800_000,
    geo: stages.geo ? geo : null,
    agents: stages.agents ? new AgentParser() : ({ parse: () => FIXED_AGENT } as unknown as AgentParser),
    keepBots: false, respectDnt: false, excludeIps: new BlockList(), queryStrip: new QueryStripper(['token', 'email']),
    trust: compileTrust(false),
    rateLimiter: null,
    queue: { hasRoom: () => true, push: () => true, waitDurable: async () => true },
    durable: false,
    events: { received: () => {}, accepted: () => {}, rejected: () => {}, fieldDropped: () => {} },
  };
  return new Collector(options);
}

const bodies: Decoded[] = Array.from({ length: 100 }, (_, i) => ({
  ok: true,
  items: [{ url: `https://shop.example/p/${i}?utm_source=news&token=abc`, referrer: 'https://www.google.com/', viewportW: 1280, viewportH: 720 }],
}));

async function run(c: Collector, visitors: number): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    const v = i % visitors;
    // Public addresses spread over the world, so GeoIP answers real countries.
    const ip = `${(v % 200) + 20}.${(v >> 8) & 255}.${v & 255}.${(v * 7) & 255}`;
    await c.ingest(bodies[i % 100] as Decoded, { origin: undefined, ip, userAgent: UAS[v % 3], peer: ip, cdnCountry: undefined, doNotTrack: false });
  }
  return Number(process.hrtime.bigint() - started) / 1e3 / N;
}

const steps: [string, Stages][] = [
  ['validate, sanitise, hash', { agents: false, geo: false, sessions: false }],
  ['+ user agent (bowser, isbot; LRU)', { agents: true, geo: false, sessions: false }],
  ['+ GeoIP (bundled db; LRU)', { agents: true, geo: true, sessions: false }],
  ['+ sessions', { agents: true, geo: true, sessions: true }],
];
for (const [label, visitors] of [['returning visitors (5,000)', 5_000], ['distinct visitors (every beacon new)', N]] as const) {
  console.log(`\n${label}, ${N} beacons, best of ${ROUNDS} alternating rounds (µs per beacon):`);
  const best = steps.map(() => Infinity);
  for (let r = 0; r < ROUNDS; r++) {
    for (const [i, [, stages]] of steps.entries()) best[i] = Math.min(best[i] as number, await run(collector(stages), visitors));
  }
  for (const [i, [name]] of steps.entries()) {
    const cost = i === 0 ? '' : `  (${((best[i] as number) - (best[i - 1] as number)).toFixed(2)} for this stage)`;
    console.log(`  ${name.padEnd(36)} ${(best[i] as number).toFixed(2)}${cost}`);
  }
}
