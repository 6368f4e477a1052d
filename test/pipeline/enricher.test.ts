import t from 'tap';
import { BUNDLED_GEOIP_DB } from '../../src/config.js';
import { Enricher, type EnricherOptions, type Enrichment } from '../../src/pipeline/enricher.js';
import { GeoIp } from '../../src/pipeline/geoip.js';
import { compileTrust } from '../../src/pipeline/proxy-trust.js';
import type { RequestContext } from '../../src/pipeline/request-context.js';
import type { Admission } from '../../src/pipeline/request-gate.js';
import { DAY_MS, SaltStore, utcDay } from '../../src/pipeline/salt-store.js';
import { AgentParser } from '../../src/pipeline/user-agent.js';
import { visitorHash } from '../../src/pipeline/visitor-hash.js';
import type { SaltRepository } from '../../src/sinks/sink.js';

const SECRET = 'test-secret-0123456789abcdef';
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const GMAIL_PROXY = 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)';
const MIDNIGHT = Date.UTC(2026, 10, 28);
const NOON = MIDNIGHT + DAY_MS / 2;
const TIMEOUT = 30 * 60_000;
const agents = new AgentParser();
const geo = await GeoIp.open(BUNDLED_GEOIP_DB);

/** Salts as the database would hand them out: one per day, made on first request, counted. */
function saltRepository(): SaltRepository & { asked: string[] } {
  const salts = new Map<string, Buffer>();
  const asked: string[] = [];
  return {
    asked,
    getOrCreateSalt: async (day, candidate) => {
      asked.push(day);
      if (!salts.has(day)) salts.set(day, candidate);
      return salts.get(day) as Buffer;
    },
    deleteSaltsBefore: async () => 0,
  };
}

async function heldSalts(now: number): Promise<SaltStore> {
  const salts = new SaltStore(saltRepository(), () => now);
  await salts.refresh(); // yesterday's, today's and tomorrow's
  return salts;
}

function enricher(clock: () => number, salts: SaltStore, over: Partial<EnricherOptions> = {}): Enricher {
  return new Enricher({ ipStorage: 'truncated', hashSecret: SECRET, clock, salts, sessionTimeoutMs: TIMEOUT, geo, trust: compileTrust(['10.0.0.0/8']), ...over });
}

function ctx(over: Partial<RequestContext> = {}): RequestContext {
  return { origin: undefined, ip: '8.8.8.8', userAgent: CHROME, peer: '8.8.8.8', cdnCountry: undefined, doNotTrack: false, ...over };
}

/** The enrichment of a request whose day's salt is held: never a promise. */
function held(e: Enrichment | Promise<Enrichment>): Enrichment {
  if (e instanceof Promise) throw new Error("waited although the day's salt was held");
  return e;
}

function admission(userAgent: string | undefined = CHROME, over: Partial<Admission> = {}): Admission {
  return { count: 1, agent: agents.parse(userAgent), isBot: false, openedMail: false, ...over };
}

t.test("server time, the stored address, the country and the visitor's hash, once for the request", async (t) => {
  const salts = await heldSalts(NOON);
  const e = held(enricher(() => NOON, salts).enrich(ctx(), admission()));
  t.equal(e.now, NOON);
  t.same(e.serverTimestamp, new Date(NOON));
  t.equal(e.clientIp, '8.8.8.0', 'IP_STORAGE=truncated');
  t.equal(e.geoCountry, 'US', 'GeoIP (the bundled database)');
  t.match(e, { isBot: false, openedMail: false, agent: { browser: 'Chrome' } }, "the gate's verdict on the agent");
  const today = salts.peek(utcDay(NOON)) as Buffer;
  t.equal(e.userHash('shop.example'), visitorHash(SECRET, today, 'shop.example', '8.8.8.8', CHROME));
  t.not(e.userHash('blog.example'), e.userHash('shop.example'), 'one hash per site');
  t.equal(e.previousUserHash('shop.example'), null, 'no session from yesterday can be active at noon');
});

t.test('IP_STORAGE full and none; a missing User-Agent hashes as empty', async (t) => {
  const salts = await heldSalts(NOON);
  const full = held(enricher(() => NOON, salts, { ipStorage: 'full' }).enrich(ctx({ userAgent: undefined }), admission(undefined)));
  const none = held(enricher(() => NOON, salts, { ipStorage: 'none' }).enrich(ctx({ ip: '2001:db8::1' }), admission()));
  t.equal(full.clientIp, '8.8.8.8');
  t.equal(none.clientIp, null);
  t.equal(full.userHash('shop.example'), visitorHash(SECRET, salts.peek(utcDay(NOON)) as Buffer, 'shop.example', '8.8.8.8', ''));
});

t.test("the previous day's hash only within the session timeout after UTC midnight, and only with its salt held", async (t) => {
  let now = MIDNIGHT + 10 * 60_000;
  const salts = await heldSalts(now);
  const en = enricher(() => now, salts);
  const yesterday = salts.peek(utcDay(MIDNIGHT - 1)) as Buffer;
  const today = salts.peek(utcDay(MIDNIGHT)) as Buffer;
  const early = held(en.enrich(ctx(), admission()));
  t.equal(early.previousUserHash('shop.example'), visitorHash(SECRET, yesterday, 'shop.example', '8.8.8.8', CHROME), "00:10: under yesterday's salt");
  t.equal(early.userHash('shop.example'), visitorHash(SECRET, today, 'shop.example', '8.8.8.8', CHROME), "and today's hash under today's");
  now = MIDNIGHT + TIMEOUT - 1;
  t.not(held(en.enrich(ctx(), admission())).previousUserHash('shop.example'), null, 'just inside the timeout');
  now = MIDNIGHT + TIMEOUT;
  t.equal(held(en.enrich(ctx(), admission())).previousUserHash('shop.example'), null, 'at the timeout, no session from before midnight is active');

  const cold = new SaltStore(saltRepository(), () => MIDNIGHT);
  await cold.load(utcDay(MIDNIGHT)); // today's only
  const e = held(enricher(() => MIDNIGHT + 60_000, cold).enrich(ctx(), admission()));
  t.equal(e.previousUserHash('shop.example'), null, "yesterday's salt not held: nothing to look up");
});

t.test("the day's salt follows the clock across midnight, either way", async (t) => {
  let now = MIDNIGHT - 1;
  const salts = await heldSalts(MIDNIGHT);
  const en = enricher(() => now, salts);
  const hash = () => held(en.enrich(ctx(), admission())).userHash('shop.example');
  const before = hash();
  t.equal(before, visitorHash(SECRET, salts.peek(utcDay(MIDNIGHT - 1)) as Buffer, 'shop.example', '8.8.8.8', CHROME));
  now = MIDNIGHT;
  t.equal(hash(), visitorHash(SECRET, salts.peek(utcDay(MIDNIGHT)) as Buffer, 'shop.example', '8.8.8.8', CHROME));
  now = MIDNIGHT - 1; // a clock stepped back
  t.equal(hash(), before);
});

t.test("a day's salt not held yet is loaded first (the only case that waits)", async (t) => {
  const repo = saltRepository();
  const salts = new SaltStore(repo, () => NOON);
  const pending = enricher(() => NOON, salts).enrich(ctx(), admission());
  t.ok(pending instanceof Promise);
  const e = await pending;
  t.same(repo.asked, [utcDay(NOON)]);
  t.equal(e.userHash('shop.example'), visitorHash(SECRET, salts.peek(utcDay(NOON)) as Buffer, 'shop.example', '8.8.8.8', CHROME));
  t.equal(e.geoCountry, 'US');
});

t.test('country: a CDN header only from a trusted proxy, and never XX or T1', async (t) => {
  const salts = await heldSalts(NOON);
  const en = enricher(() => NOON, salts);
  const country = (over: Partial<RequestContext>, a = admission()) => held(en.enrich(ctx(over), a)).geoCountry;
  t.equal(country({ peer: '10.1.2.3', cdnCountry: ' de ' }), 'DE', 'trusted hop: the header, trimmed and upper-cased');
  t.equal(country({ peer: '198.51.100.1', cdnCountry: 'DE' }), 'US', 'untrusted hop: GeoIP of the client address');
  t.equal(country({ peer: '10.1.2.3', cdnCountry: 'XX' }), 'US', 'XX (unknown) is no country');
  t.equal(country({ peer: '10.1.2.3', cdnCountry: 'T1' }), 'US', 'T1 (Tor) is no country');
  t.equal(country({ peer: '10.1.2.3', cdnCountry: 'DEU' }), 'US', 'not a two-letter code');
  t.equal(country({ ip: '193.0.0.1', peer: '193.0.0.1' }), 'NL', 'no header: GeoIP');
  const off = held(enricher(() => NOON, salts, { geo: null }).enrich(ctx({ peer: '10.1.2.3', cdnCountry: 'XX' }), admission()));
  t.equal(off.geoCountry, null, 'GEOIP_DB=off and no usable header');
});

t.test('a mail open through a proxy has no country: the address is the proxy\'s', async (t) => {
  const salts = await heldSalts(NOON);
  const opened = admission(GMAIL_PROXY, { openedMail: true });
  const e = held(enricher(() => NOON, salts).enrich(ctx({ userAgent: GMAIL_PROXY, peer: '10.1.2.3', cdnCountry: 'DE', pixel: true }), opened));
  t.match(e, { geoCountry: null, openedMail: true, isBot: false });
});
