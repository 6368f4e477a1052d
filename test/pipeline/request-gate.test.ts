import { BlockList } from 'node:net';
import t from 'tap';
import type { IngestEvents, RejectReason } from '../../src/pipeline/ingest-events.js';
import { RateLimiter } from '../../src/pipeline/rate-limiter.js';
import type { RequestContext } from '../../src/pipeline/request-context.js';
import { RequestGate, type RequestGateOptions } from '../../src/pipeline/request-gate.js';
import { AgentParser } from '../../src/pipeline/user-agent.js';

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const GMAIL_PROXY = 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)';

class Rejections implements IngestEvents {
  readonly list: [RejectReason, number, string][] = [];
  received(): void {}
  accepted(): void {}
  rejected(reason: RejectReason, count: number, detail: string): void {
    this.list.push([reason, count, detail]);
  }
  fieldDropped(): void {}
}

/** The real parser, counting its calls. */
class CountingParser extends AgentParser {
  calls = 0;
  override parse(header: string | undefined) {
    this.calls++;
    return super.parse(header);
  }
}

function gate(options: Partial<RequestGateOptions> = {}): RequestGate {
  return new RequestGate({
    allowedOrigins: null, requireOrigin: false, excludeIps: null, rateLimiter: null, respectDnt: false, keepBots: false,
    agents: new AgentParser(), ...options,
  });
}

function ctx(over: Partial<RequestContext> = {}): RequestContext {
  return { origin: 'https://shop.example', ip: '198.51.100.7', userAgent: CHROME, peer: '198.51.100.7', cdnCountry: undefined, doNotTrack: false, ...over };
}

t.test('a person on an allowed origin: every beacon goes on, with the parsed agent', async (t) => {
  const events = new Rejections();
  const admitted = gate({ allowedOrigins: ['https://shop.example'] }).admit(3, ctx(), events, false);
  t.match(admitted, { count: 3, isBot: false, openedMail: false, agent: { browser: 'Chrome', stored: CHROME } });
  t.same(events.list, []);
});

t.test('origin policy: listed origins only, a missing Origin only without REQUIRE_ORIGIN', async (t) => {
  const listed = gate({ allowedOrigins: ['https://shop.example', 'http://localhost:8080'] });
  let events = new Rejections();
  t.equal(listed.admit(4, ctx({ origin: 'https://evil.example' }), events, false), null);
  t.same(events.list, [['origin', 4, 'origin https://evil.example not allowed']], 'every beacon of the request refused, once');
  t.ok(listed.admit(1, ctx({ origin: 'http://localhost:8080' }), new Rejections(), false));
  t.ok(listed.admit(1, ctx({ origin: undefined }), new Rejections(), false), 'no Origin header (a same-origin pixel) without REQUIRE_ORIGIN');

  events = new Rejections();
  t.equal(gate({ requireOrigin: true }).admit(2, ctx({ origin: undefined }), events, false), null);
  t.same(events.list, [['origin', 2, 'origin (none) not allowed']]);
  t.ok(gate({ allowedOrigins: '*' }).admit(1, ctx({ origin: 'https://any.example' }), new Rejections(), false), "'*' allows any origin");
});

t.test("allowsHost: with ALLOWED_ORIGINS listed, a page's host (with its port) must be one of theirs", async (t) => {
  const listed = gate({ allowedOrigins: ['https://shop.example', 'http://localhost:8080'] });
  t.equal(listed.allowsHost('shop.example'), true);
  t.equal(listed.allowsHost('localhost:8080'), true);
  t.equal(listed.allowsHost('localhost'), false, 'another port is another origin');
  t.equal(listed.allowsHost('evil.example'), false);
  t.equal(gate().allowsHost('evil.example'), true, 'no list: any host');
  t.equal(gate({ allowedOrigins: '*' }).allowsHost('evil.example'), true);
});

t.test('EXCLUDE_IPS refuses IPv4 and IPv6 addresses in its ranges', async (t) => {
  const list = new BlockList();
  list.addSubnet('203.0.113.0', 24, 'ipv4');
  list.addSubnet('2001:db8::', 32, 'ipv6');
  const g = gate({ excludeIps: list });
  const events = new Rejections();
  t.equal(g.admit(2, ctx({ ip: '203.0.113.9' }), events, false), null);
  t.equal(g.admit(1, ctx({ ip: '2001:db8::1' }), events, false), null);
  t.same(events.list, [['excluded_ip', 2, 'address in EXCLUDE_IPS'], ['excluded_ip', 1, 'address in EXCLUDE_IPS']]);
  t.ok(g.admit(1, ctx({ ip: '198.51.100.7' }), events, false));
  t.ok(g.admit(1, ctx({ ip: '2001:db9::1' }), events, false));
});

t.test('rate limit: the first beacons within the budget go on, the rest are refused; a dry run takes none', async (t) => {
  const now = Date.UTC(2026, 10, 27, 12);
  const limiter = new RateLimiter(3, () => now);
  const g = gate({ rateLimiter: limiter });
  const events = new Rejections();
  t.equal(g.admit(5, ctx(), events, true)?.count, 5, 'a dry run is not limited');
  t.equal(g.admit(2, ctx(), events, false)?.count, 2, 'the dry run took no budget');
  t.equal(g.admit(2, ctx(), events, false)?.count, 1, 'the first of two within the limit');
  t.equal(g.admit(2, ctx(), events, false), null);
  t.same(events.list, [['rate_limited', 1, 'over RATE_LIMIT_PER_MIN'], ['rate_limited', 2, 'over RATE_LIMIT_PER_MIN']]);
  t.ok(g.admit(1, ctx({ ip: '198.51.100.8' }), events, false), 'another client has its own budget');
});

t.test('DNT or Sec-GPC refuses the request only with RESPECT_DNT, counting what the rate limit let through', async (t) => {
  const events = new Rejections();
  const g = gate({ respectDnt: true, rateLimiter: new RateLimiter(2, () => 0) });
  t.equal(g.admit(3, ctx({ doNotTrack: true }), events, false), null);
  t.same(events.list, [['rate_limited', 1, 'over RATE_LIMIT_PER_MIN'], ['dnt', 2, 'DNT or Sec-GPC']]);
  t.ok(gate().admit(1, ctx({ doNotTrack: true }), new Rejections(), false), 'RESPECT_DNT=false');
});

t.test('bots are refused, naming the agent; kept and flagged with KEEP_BOTS', async (t) => {
  const events = new Rejections();
  t.equal(gate().admit(2, ctx({ userAgent: 'curl/8.5.0' }), events, false), null);
  t.equal(gate().admit(1, ctx({ userAgent: undefined }), events, false), null, 'no User-Agent is a bot');
  t.equal(gate().admit(1, ctx({ userAgent: 'python-requests/2.32.3 ' + 'x'.repeat(300) }), events, false), null);
  t.same(events.list.slice(0, 2), [['bot', 2, 'user agent curl/8.5.0'], ['bot', 1, 'user agent (none)']]);
  t.equal(events.list[2]?.[2].length, 120, 'a long agent is cut in the detail');
  t.match(gate({ keepBots: true }).admit(2, ctx({ userAgent: 'curl/8.5.0' }), new Rejections(), false), { count: 2, isBot: true, openedMail: false });
});

t.test('a mail image proxy is a person opening a mail on the pixel, and a bot on POST', async (t) => {
  t.match(gate().admit(1, ctx({ userAgent: GMAIL_PROXY, pixel: true }), new Rejections(), false), { isBot: false, openedMail: true });
  const events = new Rejections();
  t.equal(gate().admit(1, ctx({ userAgent: GMAIL_PROXY }), events, false), null);
  t.equal(events.list[0]?.[0], 'bot');
  t.match(gate({ keepBots: true }).admit(1, ctx({ userAgent: GMAIL_PROXY }), new Rejections(), false), { isBot: true, openedMail: false });
  t.match(gate().admit(1, ctx({ pixel: true }), new Rejections(), false), { isBot: false, openedMail: false }, 'a browser on the pixel is a person');
});

t.test('the first rule that refuses names the reason, and a refused request costs no agent parse', async (t) => {
  const agents = new CountingParser();
  const list = new BlockList();
  list.addAddress('198.51.100.7', 'ipv4');
  const g = gate({ agents, allowedOrigins: ['https://shop.example'], excludeIps: list, respectDnt: true });
  const events = new Rejections();
  const bad = { userAgent: 'curl/8.5.0', doNotTrack: true };
  g.admit(1, ctx({ ...bad, origin: 'https://evil.example' }), events, false);
  g.admit(1, ctx(bad), events, false);
  g.admit(1, ctx({ ...bad, ip: '198.51.100.8' }), events, false);
  g.admit(1, ctx({ userAgent: 'curl/8.5.0', ip: '198.51.100.8' }), events, false);
  t.same(events.list.map(([reason]) => reason), ['origin', 'excluded_ip', 'dnt', 'bot']);
  t.equal(agents.calls, 1, 'parsed only for the bot check');
});

t.test('a refused Origin is cut in the detail: the header is what the sender chose, up to 16 KB', async (t) => {
  const events = new Rejections();
  const origin = `https://${'a'.repeat(16_000)}.example`;
  t.equal(gate({ allowedOrigins: ['https://shop.example'] }).admit(1, ctx({ origin }), events, false), null);
  const detail = String(events.list[0]?.[2]);
  t.ok(detail.length < 150, `detail of ${detail.length} characters`);
  t.ok(detail.startsWith('origin https://aaa'), detail.slice(0, 40));
});
