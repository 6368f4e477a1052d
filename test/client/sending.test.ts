// The collector's errors, beacon building, transport and batching (src/client/error-tracking.ts,
// beacon.ts, sender.ts), driven in Node through a fake window (start.test.ts has the rest).
import vm from 'node:vm';
import t from 'tap';
import { eventPayload, makeBeacon, type Beacon } from '../../src/client/beacon.js';
import { errorGate, errorPayload } from '../../src/client/error-tracking.js';
import { MAX_BODY_CHARS } from '../../src/client/limits.js';
import { createSender } from '../../src/client/sender.js';
import { start } from '../../src/client/start.js';
import { ENDPOINT, fakeWindow, PAGE, SCRIPT, T0 } from './fake-window.js';

t.test('errors: payload, cuts, dedupe, at most 10 per page, own errors and rejections', async (t) => {
  const f = fakeWindow();
  start(f.w, f.options());
  f.tick();
  const err = (message: string, line = 10, extra: object = {}) =>
    f.w.fire('error', { message, filename: 'https://shop.example/app.js', lineno: line, colno: 7, error: { stack: `Error: ${message}\n    at app.js:${line}:7` }, ...extra });

  err('boom');
  f.tick();
  const [first] = f.beacons().slice(1);
  t.same(first?.payload, { message: 'boom', source: 'https://shop.example/app.js', line: 10, column: 7, stack: 'Error: boom\n    at app.js:10:7' });
  t.equal(first?.type, 'error');
  t.equal(first?.name, undefined, 'errors carry no name');
  t.equal(first?.url, PAGE);

  err('boom');
  err('boom');
  f.tick();
  t.equal(f.beacons().length, 2, 'the same message+source+line once');
  err('boom', 11);
  f.tick();
  t.equal(f.beacons().length, 3, 'another line is another error');

  err('from us', 1, { filename: SCRIPT });
  f.tick();
  t.equal(f.beacons().length, 3, "the collector's own errors are not the site's");

  f.w.fire('unhandledrejection', { reason: new RangeError('bad range') });
  f.w.fire('unhandledrejection', { reason: 'plain string' });
  f.w.fire('unhandledrejection', { reason: undefined });
  f.w.fire('unhandledrejection', {});
  f.tick();
  const rejections = f.beacons().slice(3).map((b) => b.payload as { message: string; stack: string; source: string; line: number });
  t.equal(rejections[0]?.message, 'bad range');
  t.match(rejections[0]?.stack, /^RangeError: bad range\n/);
  t.same(rejections[1], { message: 'plain string', source: '', line: 0, column: 0, stack: '' });
  t.equal(rejections.length, 2, 'a rejection without a message (reject(), reject(undefined)) is not sent');

  f.w.fire('error', { message: 'Script error.', filename: '', lineno: 0, colno: 0, error: null });
  err('');
  f.tick();
  t.equal(f.beacons().length, 5, "another origin's \"Script error.\" and an empty message are not sent");

  for (let i = 0; i < 20; i++) err(`loop ${i}`);
  f.tick();
  const errors = f.beacons().filter((b) => b.type === 'error');
  t.equal(errors.length, 10, 'at most 10 per page load, whatever their messages');
  t.equal((errors.at(-1)?.payload as { message: string }).message, 'loop 5', 'the filtered ones take no place among the 10');
});

t.test('errorPayload cuts message to 500 and stack and source to 1000 chars; errorGate', async (t) => {
  const p = errorPayload('m'.repeat(600), 's'.repeat(1200), '12', undefined, 'x'.repeat(5000));
  t.equal(p.message.length, 500);
  t.equal(p.source.length, 1000);
  t.equal(p.stack.length, 1000);
  t.equal(p.line, 12, 'numeric strings become numbers');
  t.equal(p.column, 0);
  const gate = errorGate(2);
  t.same(['a', 'a', 'b', 'c', 'a'].map(gate), [true, false, true, false, false]);
});

t.test('makeBeacon and window.beacon: fields, name cut to 64, payload only a small plain object', async (t) => {
  const w = { location: { href: PAGE, pathname: '/products', hostname: 'shop.example', protocol: 'https:' }, innerWidth: 390, innerHeight: 844 };
  t.same(JSON.parse(JSON.stringify(makeBeacon(w, T0, 'event', 'https://r.example/', 'signup', { a: 1 }))), {
    type: 'event', url: PAGE, referrer: 'https://r.example/', viewportW: 390, viewportH: 844, timestamp: T0, name: 'signup', payload: { a: 1 },
  });
  t.same(Object.keys(JSON.parse(JSON.stringify(makeBeacon(w, T0, 'pageview', '', '')))), ['type', 'url', 'referrer', 'viewportW', 'viewportH', 'timestamp'], 'no name or payload in a pageview\'s JSON');

  const problems: string[] = [];
  const warn = (problem: string) => void problems.push(problem);
  t.same(eventPayload({ plan: 'pro', seats: 3 }, warn), { plan: 'pro', seats: 3 });
  const bare = Object.assign(Object.create(null) as object, { a: 1 });
  t.equal(eventPayload(bare, warn), bare, 'a prototype-less object is plain too');
  const otherRealm = vm.runInNewContext('({ a: 1 })') as object;
  t.equal(eventPayload(otherRealm, warn), otherRealm, "an object from another frame's realm is plain too");
  t.equal(eventPayload(undefined, warn), undefined);
  t.same(problems, [], 'no warning for valid or absent props');
  class Thing {
    a = 1;
  }
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  for (const [what, v] of [['array', [1]], ['date', new Date()], ['class instance', new Thing()], ['string', 'x'], ['function', () => 1], ['null', null], ['cycle', cyclic], ['too big', { s: 'x'.repeat(9000) }]] as const) {
    t.equal(eventPayload(v, warn), undefined, what);
  }
  t.same(problems, ['not a plain object', 'not a plain object', 'not a plain object', 'not a plain object', 'not a plain object', 'not JSON', 'over 8 KB'], 'each invalid props named (null is no props)');

  const f = fakeWindow();
  start(f.w, f.options());
  const beacon = f.w.beacon as (name?: unknown, props?: unknown) => void;
  const props = { plan: 'pro' };
  beacon('signup', props);
  props.plan = 'changed after the call';
  beacon('x'.repeat(80), [1, 2]);
  beacon(42);
  beacon();
  beacon('');
  f.tick();
  const events = f.beacons().filter((b) => b.type === 'event');
  t.same(events.map((b) => [b.name, b.payload]), [['signup', { plan: 'pro' }], ['x'.repeat(64), undefined], ['42', undefined]], 'snapshotted; no name, no event');
  t.same(Object.keys(events[0] ?? {}), ['type', 'url', 'referrer', 'viewportW', 'viewportH', 'timestamp', 'name', 'payload']);
});

t.test('transport: sendBeacon, else fetch with keepalive (refused, missing, throwing)', async (t) => {
  for (const transport of ['refused', 'no-beacon', 'beacon-throws'] as const) {
    const f = fakeWindow({ transport });
    start(f.w, f.options());
    f.tick();
    t.equal(f.requests.length, 1, transport);
    const [req] = f.requests;
    t.equal(req?.via, 'fetch', transport);
    t.equal(req?.url, ENDPOINT);
    t.same(req?.init, { method: 'POST', body: req?.body, keepalive: true, mode: 'no-cors' }, 'a string body: text/plain without a header to set');
    t.equal((JSON.parse(req?.body ?? '{}') as Beacon).type, 'pageview');
  }
  const ok = fakeWindow();
  start(ok.w, ok.options());
  ok.tick();
  t.same(ok.requests.map((r) => r.via), ['beacon'], 'sendBeacon accepted: no fetch');
});

t.test('transport: a failing fetch is caught, a missing one is silent', async (t) => {
  const f = fakeWindow({ transport: 'refused' });
  let caught: unknown;
  f.w.fetch = () => ({ catch: (fn: unknown) => (caught = fn) }) as unknown as Promise<unknown>;
  const sender = createSender(f.w, ENDPOINT, (fn) => fn());
  sender.enqueue(makeBeacon(f.w, T0, 'pageview', ''));
  t.type(caught, 'function', 'a rejected fetch would not surface as an unhandled rejection');
  delete f.w.fetch;
  t.doesNotThrow(() => createSender(f.w, ENDPOINT, (fn) => fn()).enqueue(makeBeacon(f.w, T0, 'pageview', '')));
});

t.test('batching: beacons of one task share requests of at most 50 and MAX_BODY_CHARS', async (t) => {
  const f = fakeWindow();
  start(f.w, f.options());
  const beacon = f.w.beacon as (name: string, props?: object) => void;
  for (let i = 0; i < 119; i++) beacon(`e${i}`);
  t.same(f.requests, [], 'nothing sent within the task');
  f.tick();
  const bodies = f.requests.map((r) => JSON.parse(r.body) as Beacon[]);
  t.same(bodies.map((b) => b.length), [50, 50, 20]);
  t.same(bodies.flat().map((b) => b.name ?? b.type), ['pageview', ...Array.from({ length: 119 }, (_, i) => `e${i}`)], 'in order');

  f.requests.length = 0;
  for (let i = 0; i < 6; i++) beacon(`big${i}`, { s: 'x'.repeat(8000) });
  f.tick();
  t.ok(f.requests.length >= 3, `big payloads split (${f.requests.length} requests)`);
  for (const r of f.requests) t.ok(r.body.length <= MAX_BODY_CHARS, `body of ${r.body.length} chars`);
  t.equal(f.beacons().length, 6);

  f.requests.length = 0;
  beacon('later');
  f.tick();
  t.equal((JSON.parse(f.requests[0]?.body ?? '') as Beacon).name, 'later', 'a lone beacon is sent as an object');
});
