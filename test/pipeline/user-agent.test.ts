import t from 'tap';
import { AgentParser } from '../../src/pipeline/user-agent.js';
import { CHROME_UA, FIREFOX_UA, SAFARI_IOS_UA } from '../helpers/app.js';

const parser = new AgentParser();

t.test('real browsers: browser, OS and device class', async (t) => {
  t.match(parser.parse(CHROME_UA), { browser: 'Chrome', os: 'Windows', device: 'desktop', bot: false, emailProxy: false, stored: CHROME_UA });
  t.match(parser.parse(FIREFOX_UA), { browser: 'Firefox', os: 'Linux', device: 'desktop', bot: false });
  t.match(parser.parse(SAFARI_IOS_UA), { browser: 'Safari', os: 'iOS', device: 'mobile', bot: false });
  t.match(parser.parse('Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1'), { os: 'iOS', device: 'tablet', bot: false });
  t.match(parser.parse('Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36'), { browser: 'Chrome', os: 'Android', device: 'mobile' });
  t.match(parser.parse('Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0'), { browser: 'Microsoft Edge', os: 'macOS', device: 'desktop' });
});

t.test('crawlers, scripts, headless browsers and a missing header are bots', async (t) => {
  for (const ua of [
    'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
    'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36',
    'curl/8.5.0',
    'node',
    'python-requests/2.32.3',
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36',
  ]) t.equal(parser.parse(ua).bot, true, ua);
  t.equal(parser.parse(undefined).bot, true, 'no User-Agent');
  t.equal(parser.parse('').bot, true, 'empty User-Agent');
});

t.test('email image proxies are recognised as such', async (t) => {
  t.match(parser.parse('Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)'), { emailProxy: true });
  t.match(parser.parse('YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html'), { emailProxy: true });
  t.match(parser.parse(CHROME_UA), { emailProxy: false });
});

t.test('the stored header is sanitised and cut; results are cached per header', async (t) => {
  const ua = `${FIREFOX_UA} <script>x</script>`;
  const a = parser.parse(ua);
  t.equal(a.stored, `${FIREFOX_UA} x`);
  t.equal(parser.parse(ua), a, 'same object from the cache');
});
