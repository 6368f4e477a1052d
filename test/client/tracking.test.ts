// Who is not counted (src/client/opt-out.ts), the opt-in events (src/client/auto-events.ts) and the
// warning for invalid props, through start() on the fake window.
import t from 'tap';
import { DOWNLOAD_EXTENSIONS } from '../../src/client/auto-events.js';
import { excluded } from '../../src/client/opt-out.js';
import { start, type Options } from '../../src/client/start.js';
import { fakeWindow, type FakeOptions } from './fake-window.js';

t.test('navigator.webdriver: nothing unless data-include-automation; localStorage.beacon_ignore: nothing', async (t) => {
  const sent = (o: FakeOptions, extra: Partial<Options> = {}) => {
    const f = fakeWindow(o);
    start(f.w, f.options(extra));
    (f.w.beacon as (n: string) => void)('e');
    f.tick();
    f.setHidden(true);
    return f.requests.length;
  };
  t.equal(sent({ navigator: { webdriver: true } }), 0, 'automation');
  t.ok(sent({ navigator: { webdriver: true } }, { includeAutomation: true }) > 0, 'automation with data-include-automation');
  t.equal(sent({ storage: { beacon_ignore: 'true' } }), 0, "the owner's browser");
  t.equal(sent({ storage: { beacon_ignore: 'true' }, navigator: { webdriver: true } }, { includeAutomation: true }), 0, 'the opt-out wins over the automation attribute');
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
  const run = (extra: Partial<Options>) => {
    const f = fakeWindow();
    start(f.w, f.options(extra));
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
    f.tick();
    return f.beacons().filter((b) => b.type === 'event').map((b) => [b.name, (b.payload as { url: string }).url]);
  };
  t.same(run({ outbound: true, downloads: '', forms: true }), [
    ['File Download', 'https://shop.example/files/price-list.PDF'],
    ['File Download', 'https://shop.example/files/a.zip'],
    ['Outbound Link: Click', 'https://elsewhere.example/'],
    ['Outbound Link: Click', 'https://elsewhere.example/'],
    ['Form: Submission', 'https://shop.example/subscribe'],
  ]);
  t.same(run({ downloads: 'zip, .dmg' }), [['File Download', 'https://shop.example/files/a.zip']], 'an override replaces the list; outbound and forms off');
  t.same(run({}), [], 'all off by default');
  t.ok(DOWNLOAD_EXTENSIONS.split(',').includes('pdf'));
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
