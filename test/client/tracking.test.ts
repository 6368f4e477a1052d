// Who is not counted (src/client/opt-out.ts), the opt-in events (src/client/auto-events.ts, and the
// loading of their file by start()) and the warning for invalid props, on the fake window.
import t from 'tap';
import { DOWNLOAD_EXTENSIONS, trackAutoEvents } from '../../src/client/auto-events.js';
import { excluded } from '../../src/client/opt-out.js';
import { start } from '../../src/client/start.js';
import { fakeWindow, type FakeOptions } from './fake-window.js';

t.test('navigator.webdriver: nothing unless data-include-automation; localStorage.beacon_ignore: nothing', async (t) => {
  const sent = (o: FakeOptions, attrs: Record<string, string> = {}) => {
    const f = fakeWindow(o);
    start(f.w, f.options(attrs));
    (f.w.beacon as (n: string) => void)('e');
    f.tick();
    f.setHidden(true);
    return f.requests.length;
  };
  t.equal(sent({ navigator: { webdriver: true } }), 0, 'automation');
  t.ok(sent({ navigator: { webdriver: true } }, { 'include-automation': '' }) > 0, 'automation with data-include-automation');
  t.equal(sent({ storage: { beacon_ignore: 'true' } }), 0, "the owner's browser");
  t.equal(sent({ storage: { beacon_ignore: 'true' }, navigator: { webdriver: true } }, { 'include-automation': '' }), 0, 'the opt-out wins over the automation attribute');
  t.ok(sent({ storage: { beacon_ignore: 'false' } }) > 0, "'false' is no opt-out");
  t.ok(sent({ storage: 'throws' }) > 0, 'storage blocked: counted (not an opt-out)');
  const f = fakeWindow();
  t.notOk(excluded(f.w), 'a plain browser');
});

/** A click or submit on the fake document, with the link or form it happened in. */
const link = (href: string) => {
  const u = new URL(href);
  const a = { href, hostname: u.hostname, pathname: u.pathname };
  return { target: { closest: (sel: string) => (sel === 'a' ? a : null) } };
};

t.test('opt-in events: downloads (default list, override), outbound links, forms; named as Plausible names them', async (t) => {
  const run = (attrs: Record<string, string>) => {
    const f = fakeWindow();
    const events: string[][] = [];
    trackAutoEvents(f.w, (name) => attrs[name] ?? null, (name, url) => events.push([name, url]));
    const click = (href: string, button = 0) => f.doc.fire(button ? 'auxclick' : 'click', { ...link(href), button });
    click('https://shop.example/files/price-list.PDF');
    click('https://shop.example/files/a.zip');
    click('https://elsewhere.example/');
    click('https://elsewhere.example/', 1); // middle button: a new tab
    click('https://elsewhere.example/', 2); // right button: a menu
    click('https://shop.example/about');
    click('mailto:hi@shop.example');
    f.doc.fire('click', { target: { closest: () => null }, button: 0 }); // not in a link
    f.doc.fire('submit', { target: { action: 'https://shop.example/subscribe' } });
    return events;
  };
  t.same(run({ 'track-outbound': '', 'track-downloads': '', 'track-forms': '' }), [
    ['File Download', 'https://shop.example/files/price-list.PDF'],
    ['File Download', 'https://shop.example/files/a.zip'],
    ['Outbound Link: Click', 'https://elsewhere.example/'],
    ['Outbound Link: Click', 'https://elsewhere.example/'],
    ['Form: Submission', 'https://shop.example/subscribe'],
  ]);
  t.same(run({ 'track-downloads': 'zip, .dmg' }), [['File Download', 'https://shop.example/files/a.zip']], 'an override replaces the list; outbound and forms off');
  t.same(run({}), [], 'all off by default');
  t.ok(DOWNLOAD_EXTENSIONS.split(',').includes('pdf'));
});

t.test('the opt-in events file: added (SCRIPT_PATH?events) only for a counted page whose tag asks for it', async (t) => {
  const added = (attrs: Record<string, string>, o: FakeOptions = {}) => {
    const f = fakeWindow(o);
    start(f.w, f.options(attrs));
    return f.added.map((tag) => tag.src);
  };
  const events = 'https://stats.example/collector.js?events';
  t.same(added({ 'track-outbound': '' }), [events], 'data-track-outbound');
  t.same(added({ 'track-downloads': 'pdf' }), [events], 'data-track-downloads');
  t.same(added({ 'track-forms': '' }), [events], 'data-track-forms');
  t.same(added({ 'track-outbound': '', 'track-downloads': '', 'track-forms': '' }), [events], 'once for all three');
  t.same(added({}), [], 'none asked: not loaded');
  t.same(added({ 'track-forms': '' }, { navigator: { webdriver: true } }), [], 'a page not counted: not loaded');
  const f = fakeWindow();
  start(f.w, f.options({ 'track-forms': '' }, { scriptSrc: 'https://cdn.example/js/collector.js?v=2' }));
  t.same(f.added.map((tag) => tag.src), ['https://cdn.example/js/collector.js?events'], "next to the script, the script's own query replaced");
});

t.test('invalid props: the event goes without them, one console.warn per page naming the problem', async (t) => {
  const f = fakeWindow();
  start(f.w, f.options());
  const beacon = f.w.beacon as (n: string, p?: unknown) => void;
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;
  beacon('a', cycle);
  beacon('b', 'text');
  beacon('c', new Proxy({}, { getPrototypeOf() { throw new Error('trap'); } }));
  beacon('d', { ok: 1 });
  beacon('e', null);
  f.tick();
  t.same(f.beacons().filter((b) => b.type === 'event').map((b) => [b.name, b.payload ?? null]), [['a', null], ['b', null], ['c', null], ['d', { ok: 1 }], ['e', null]]);
  t.same(f.warnings, [['beacon: props not JSON, event sent without them']]);
  const noConsole = fakeWindow();
  delete noConsole.w.console;
  start(noConsole.w, noConsole.options());
  t.doesNotThrow(() => (noConsole.w.beacon as (n: string, p: unknown) => void)('x', 'y'));
});
