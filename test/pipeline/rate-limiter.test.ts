import t from 'tap';
import { ipv6Client, RateLimiter } from '../../src/pipeline/rate-limiter.js';

t.test('fixed one-minute windows per client, counting beacons', async (t) => {
  let now = 0;
  const limiter = new RateLimiter(10, () => now);
  t.equal(limiter.take('198.51.100.1', 6), 6);
  t.equal(limiter.take('198.51.100.1', 6), 4, 'the first ones of a batch are within the limit');
  t.equal(limiter.take('198.51.100.1', 1), 0);
  t.equal(limiter.take('198.51.100.2', 1), 1, 'another IPv4 address: its own budget');
  now = 60_000;
  t.equal(limiter.take('198.51.100.1', 1), 1, 'a new window');
});

t.test('IPv6 per prefix; IPv4-mapped as IPv4', async (t) => {
  const limiter = new RateLimiter(2, () => 0);
  t.equal(limiter.take('2001:db8:1:2::1', 1), 1);
  t.equal(limiter.take('2001:db8:1:2:ffff::7', 1), 1);
  t.equal(limiter.take('2001:db8:1:2::abcd', 1), 0, 'same /64');
  t.equal(limiter.take('2001:db8:1:3::1', 1), 1, 'the next /64');
  t.equal(limiter.take('198.51.100.1', 1), 1);
  t.equal(limiter.take('::ffff:198.51.100.1', 1), 1);
  t.equal(limiter.take('::ffff:c633:6401', 1), 0, 'both mapped forms are 198.51.100.1');
});

t.test('ipv6Client: the first bits of the address, whatever its spelling', async (t) => {
  t.equal(ipv6Client('2001:DB8:0001:0002:aaaa::1', 64), '2001:db8:1:2/64');
  t.equal(ipv6Client('2001:db8:1:2::', 64), '2001:db8:1:2/64');
  t.equal(ipv6Client('2001:db8:1:2::1', 128), '2001:db8:1:2:0:0:0:1/128');
  t.equal(ipv6Client('2001:db8:1:ffff::', 56), '2001:db8:1:ff00/56');
  t.equal(ipv6Client('2001:db8:1:ffff::', 49), '2001:db8:1:8000/49');
  t.equal(ipv6Client('ffff::', 1), '8000/1');
  t.equal(ipv6Client('2001:db8::', 48), '2001:db8:0/48');
  t.equal(ipv6Client('::ffff:203.0.113.9', 64), '203.0.113.9');
  t.equal(ipv6Client('not:an:address', 64), 'not:an:address');
});
