// The session store's memory budget: 1 KiB per held visitor at most (measured ~0.6 KiB), and never
// more than SESSION_STORE_MAX visitors whatever the traffic.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import t from 'tap';
import { MemorySessionStore } from '../../src/pipeline/memory-session-store.js';
import { visitorHash } from '../../src/pipeline/visitor-hash.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const BUDGET_PER_VISITOR = 1024;

t.test('125,000 distinct visitors stay within SESSION_STORE_MAX and the stated budget', async (t) => {
  const max = 50_000;
  let evicted = 0;
  const store = new MemorySessionStore({ timeoutMs: 1_800_000, max, onEvict: () => evicted++ });
  const salt = Buffer.alloc(32, 7);
  const start = Date.UTC(2026, 6, 1, 12);
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 125_000; i++) {
    // Realistic strings: a distinct landing page with UTM parameters and a referrer per visitor.
    const url = new URL(`https://shop.example.com/products/item-${i}?utm_source=newsletter&utm_medium=email&utm_campaign=sale-${i % 50}`);
    const key = visitorHash('secret-0123456789', salt, 'shop.example.com', `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, 'Mozilla/5.0');
    store.assign({ key, previousKey: null, hostname: 'shop.example.com', type: 'pageview', url, href: url.href, referrer: `https://www.google.com/search?q=${i}`, now: start + i });
  }
  gc();
  const grown = process.memoryUsage().heapUsed - before;
  t.equal(store.size, max, 'bounded by SESSION_STORE_MAX');
  t.equal(evicted, 75_000, 'every eviction of an active session counted');
  t.ok(grown < max * BUDGET_PER_VISITOR, `heap grew ${(grown / 1048576).toFixed(1)} MiB for ${max} visitors (${Math.round(grown / max)} B each; budget ${BUDGET_PER_VISITOR} B)`);
  t.comment(`session store: ${Math.round(grown / max)} bytes per held visitor`);
});
