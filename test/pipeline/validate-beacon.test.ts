import t from 'tap';
import { normalizeBeacon, validateBeacon } from '../../src/pipeline/validate-beacon.js';

const now = Date.UTC(2026, 10, 23, 12);

t.test('aliases map to canonical names; the canonical name wins; unknown fields and nulls go', async (t) => {
  t.same(normalizeBeacon({ url: 'u', event_type: 'click', event_name: 'n', viewport_w: 1, viewport_h: 2, extra: 1, userAgent: 'x', sessionId: 's', referrer: null }), {
    url: 'u', type: 'click', name: 'n', viewportW: 1, viewportH: 2,
  });
  t.same(normalizeBeacon({ url: 'u', type: 'event', event_type: 'click' }), { url: 'u', type: 'event' });
  t.same(normalizeBeacon({ url: 'u' }), { url: 'u', type: 'pageview' });
});

t.test('required fields drop the item; optional ones are nulled and listed', async (t) => {
  t.match(validateBeacon('x', now), { ok: false });
  t.match(validateBeacon([], now), { ok: false });
  t.match(validateBeacon({ url: 'https://a.example/', type: 'nope' }, now), { ok: false, detail: /^type/ });
  t.match(validateBeacon({ url: 'mailto:a@b.c' }, now), { ok: false, detail: /url/ });
  const v = validateBeacon({ url: 'https://a.example/', name: 5, timestamp: now + 7_200_000, viewportW: -1, viewportH: 2, referrer: 'ftp://x/' }, now);
  t.ok(v.ok);
  if (v.ok) {
    t.same(v.nulled.sort(), ['name', 'referrer', 'timestamp', 'viewportW']);
    t.same(v.beacon, { url: 'https://a.example/', type: 'pageview', viewportH: 2 });
    t.equal(v.url.hostname, 'a.example');
  }
  const edge = validateBeacon({ url: 'http://a.example/', timestamp: now - 7 * 86_400_000 }, now);
  t.match(edge, { ok: true, nulled: [] }, 'exactly 7 days old is still valid');
});

t.test('the detail of a dropped item names the field and what it allows, in words', async (t) => {
  const detail = (item: unknown) => {
    const v = validateBeacon(item, now);
    return v.ok ? 'accepted' : v.detail;
  };
  t.equal(detail({ url: 'https://a.example/', type: 'foo' }), 'type: must be one of pageview, event, click, error, performance (got "foo")');
  t.equal(detail({ url: 'https://a.example/', type: 7 }), 'type: must be one of pageview, event, click, error, performance (got 7)');
  t.equal(detail({ type: 'event' }), 'url: missing (required)');
  t.equal(detail({ referrer: 'https://a.example/' }), 'url: missing (required)', 'a missing url, not a missing type: type defaults to pageview');
  t.equal(detail({ url: 5 }), 'url: must be a string (got 5)');
  t.equal(detail({ url: '' }), 'url: must not be empty');
  t.equal(detail({ url: 'https://a.example/' + 'x'.repeat(3000) }), 'url: must be at most 2048 characters (got 3018)');
  t.notMatch(detail({ url: 'https://a.example/', type: ['pageview'] }), /Expected/);
});
