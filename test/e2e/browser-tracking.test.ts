// Who and what is counted in Chromium: browsers driven by automation and owners who opted out send
// nothing; the opt-in events (outbound links, downloads, forms); noise left out; invalid props warned.
import t from 'tap';
import { browserSite, html } from '../helpers/browser-site.js';

t.test('automation without data-include-automation and localStorage.beacon_ignore send nothing', async (t) => {
  const site = await browserSite(t, (s) => ({
    '/bot': html(s.tag(''), '<h1>no attribute</h1>'),
    '/owner': html(s.tag(), '<h1>owner</h1>'),
    '/control': html(s.tag(), '<h1>counted</h1>'),
    '/plain': html('', '<h1>no collector</h1>'),
  }));
  const browser = await site.launch();
  const page = await (await browser.newContext()).newPage();
  t.equal(await page.evaluate('navigator.webdriver'), true, 'Playwright drives it: navigator.webdriver');
  for (const path of ['/bot', '/owner']) {
    if (path === '/owner') {
      await page.goto(`${site.origin}/plain`);
      await page.evaluate("localStorage.beacon_ignore = 'true'"); // as an owner does in the console
    }
    await page.goto(`${site.origin}${path}`);
    await page.waitForFunction('window.beacon && window.beacon.v');
    await page.evaluate("beacon('tried', { from: location.pathname })");
    await page.goto('about:blank');
  }
  await (await (await browser.newContext()).newPage()).goto(`${site.origin}/control`); // a new context: no beacon_ignore
  const rows = await site.waitFor('the control pageview', (r) => r.some((x) => x.url.endsWith('/control')));
  t.same(rows.map((r) => new URL(r.url).pathname), ['/control'], 'nothing from /bot (webdriver) or /owner (beacon_ignore)');
  t.equal(rows[0]?.is_bot, 0);
});

t.test('data-track-outbound, -downloads (default list and override), -forms: events named as Plausible names them, props.url', async (t) => {
  const body = `<h1>links</h1>
    <a id="out" href="https://elsewhere.example/page">out</a>
    <a id="pdf" href="/files/report.PDF">pdf</a>
    <a id="zip" href="/files/a.zip">zip</a>
    <a id="in" href="/inside">in</a>
    <a id="mail" href="mailto:hi@example.org">mail</a>
    <form id="f" action="/subscribe" method="post" onsubmit="event.preventDefault()"><button id="send">send</button></form>`;
  const site = await browserSite(t, (s) => ({
    '/all': html(s.tag('data-include-automation data-track-outbound data-track-downloads data-track-forms'), body),
    '/only-zip': html(s.tag('data-include-automation data-track-downloads="zip"'), body),
    '/none': html(s.tag(), body),
  }));
  const browser = await site.launch();
  const context = await browser.newContext();
  // Every link goes nowhere: the tests are about what is sent, not where the browser goes.
  await context.route((url) => !url.pathname.startsWith('/collect') && !url.pathname.endsWith('collector.js') && !['/all', '/only-zip', '/none'].includes(url.pathname), (route) => route.fulfill({ status: 204 }));
  const page = await context.newPage();
  const clickAll = async (path: string) => {
    await page.goto(`${site.origin}${path}`);
    await page.waitForFunction('window.beacon && window.beacon.v');
    for (const id of ['out', 'pdf', 'zip', 'in', 'mail']) {
      await page.evaluate(`document.getElementById('${id}').addEventListener('click', (e) => e.preventDefault())`);
      await page.click(`#${id}`);
    }
    await page.click('#out', { button: 'middle' }); // auxclick: a new tab
    await page.click('#pdf', { button: 'right' }); // a context menu: no download
    await page.click('#send');
    await page.evaluate("beacon('done')");
  };
  for (const path of ['/all', '/only-zip', '/none']) await clickAll(path);
  const rows = await site.waitFor('three done events', (r) => r.filter((x) => x.event_name === 'done').length === 3);
  const events = (path: string) => rows.filter((r) => r.type === 'event' && r.url.endsWith(path) && r.event_name !== 'done').map((r) => [r.event_name, r.payload?.url]);
  t.same(events('/all'), [
    ['Outbound Link: Click', 'https://elsewhere.example/page'],
    ['File Download', `${site.origin}/files/report.PDF`],
    ['File Download', `${site.origin}/files/a.zip`],
    ['Outbound Link: Click', 'https://elsewhere.example/page'],
    ['Form: Submission', `${site.origin}/subscribe`],
  ], 'outbound (click and middle click), downloads from the default list, the form; not an inner link, mailto: or a right click');
  t.same(events('/only-zip'), [['File Download', `${site.origin}/files/a.zip`]], 'data-track-downloads="zip" replaces the list; the others are off');
  t.same(events('/none'), [], 'nothing without the attributes');
});

t.test('noise: no "Script error." or empty rejections; invalid props warn once and the event still goes', async (t) => {
  const site = await browserSite(t, (s) => ({
    '/noise': html(s.tag(), '<h1>noise</h1>', "<script>window.seen = []; addEventListener('error', (e) => seen.push(e.message)); addEventListener('unhandledrejection', (e) => seen.push(String(e.reason)))</script>"),
  }), (path) => (path === '/boom.js' ? "throw new Error('from another origin')" : undefined));
  const browser = await site.launch();
  const page = await (await browser.newContext()).newPage();
  const warnings: string[] = [];
  page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
  await page.goto(`${site.origin}/noise`);
  await page.waitForFunction('window.beacon && window.beacon.v');
  const other = site.origin.replace('site.test', 'other.test');
  await page.evaluate(`new Promise((resolve) => { const s = document.createElement('script'); s.src = '${other}/boom.js'; s.onload = s.onerror = resolve; document.head.append(s) })`);
  await page.evaluate('Promise.reject(undefined); Promise.reject(); 0');
  await page.evaluate(`
    const cycle = {}; cycle.self = cycle;
    beacon('cycle', cycle);
    beacon('fn', () => 1);
    beacon('big', { s: 'x'.repeat(200000) });
    beacon('proxy', new Proxy({}, { getPrototypeOf() { throw new Error('trap') } }));
    beacon('fine', { ok: 1 });
    setTimeout(() => { throw new Error('a real one') });
  `);
  const rows = await site.waitFor('the real error', (r) => r.some((x) => x.type === 'error'));
  await page.waitForTimeout(200);
  const after = await site.rows();
  t.same(await page.evaluate('seen'), ['Script error.', 'undefined', 'undefined', 'Uncaught Error: a real one'], 'the page did see all four');
  t.same(after.filter((r) => r.type === 'error').map((r) => r.payload.message), ['Uncaught Error: a real one'], 'only the error with a message from this origin');
  t.same(after.filter((r) => r.type === 'event').map((r) => [r.event_name, r.payload]), [['cycle', null], ['fn', null], ['big', null], ['proxy', null], ['fine', { ok: 1 }]], 'every event sent; invalid props left out');
  t.same(warnings.filter((w) => w.startsWith('beacon:')), ['beacon: props not JSON, event sent without them'], 'one warning, naming the first problem');
  t.ok(rows.length > 0);
});
