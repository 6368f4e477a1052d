import t from 'tap';
import { canonicalIp, storedIp } from '../../src/pipeline/client-ip.js';
import { visitorHash } from '../../src/pipeline/visitor-hash.js';

t.test('canonicalIp unwraps IPv4-mapped IPv6', async (t) => {
  t.equal(canonicalIp('::ffff:203.0.113.9'), '203.0.113.9');
  t.equal(canonicalIp('2001:DB8::1'), '2001:db8::1');
});

t.test('storedIp per IP_STORAGE', async (t) => {
  t.equal(storedIp('203.0.113.77', 'full'), '203.0.113.77');
  t.equal(storedIp('203.0.113.77', 'truncated'), '203.0.113.0');
  t.equal(storedIp('2001:db8:abcd:12:1:2:3:4', 'truncated'), '2001:db8:abcd::');
  t.equal(storedIp('203.0.113.77', 'none'), null);
  t.equal(storedIp('garbage', 'truncated'), null);
});

t.test('visitorHash: 16 hex, depends on every input', async (t) => {
  const salt = Buffer.alloc(32, 1);
  const h = visitorHash('secret-0123456789', salt, 'a.example', '203.0.113.1', 'UA');
  t.match(h, /^[0-9a-f]{16}$/);
  t.equal(visitorHash('secret-0123456789', salt, 'a.example', '203.0.113.1', 'UA'), h);
  t.not(visitorHash('secret-9876543210', salt, 'a.example', '203.0.113.1', 'UA'), h);
  t.not(visitorHash('secret-0123456789', Buffer.alloc(32, 2), 'a.example', '203.0.113.1', 'UA'), h);
  t.not(visitorHash('secret-0123456789', salt, 'b.example', '203.0.113.1', 'UA'), h);
  t.not(visitorHash('secret-0123456789', salt, 'a.example', '203.0.113.2', 'UA'), h);
  t.not(visitorHash('secret-0123456789', salt, 'a.example', '203.0.113.1', 'UA2'), h);
  t.not(visitorHash('s-0123456789abcdef', salt, 'a.exampl', 'e203.0.113.1', 'UA'), visitorHash('s-0123456789abcdef', salt, 'a.example', '203.0.113.1', 'UA'), 'fields are separated');
});

t.test('canonicalIp drops an IPv6 zone id: it means something only on the sender\'s host, and has no length limit', async (t) => {
  t.equal(canonicalIp('fe80::1%eth0'), 'fe80::1');
  t.equal(canonicalIp(`fe80::1%${'a'.repeat(60)}`), 'fe80::1');
});
