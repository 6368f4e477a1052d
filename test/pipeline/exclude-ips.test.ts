import t from 'tap';
import { excludeIps } from '../../src/pipeline/exclude-ips.js';

t.test('unset: no list, so the collector skips the check', async (t) => {
  t.equal(excludeIps([]), null);
});

t.test('addresses and CIDRs, IPv4 and IPv6', async (t) => {
  const list = excludeIps(['203.0.113.7', '198.51.100.0/24', '2001:db8::1', '2001:db8:1::/48']);
  if (list === null) throw new Error('expected a list');
  t.ok(list.check('203.0.113.7', 'ipv4'), 'an address');
  t.notOk(list.check('203.0.113.8', 'ipv4'), 'its neighbour is not');
  t.ok(list.check('198.51.100.255', 'ipv4'), 'inside a subnet');
  t.notOk(list.check('198.51.101.0', 'ipv4'), 'just past it');
  t.ok(list.check('2001:db8::1', 'ipv6'), 'an IPv6 address');
  t.notOk(list.check('2001:db8::2', 'ipv6'));
  t.ok(list.check('2001:db8:1:ffff::5', 'ipv6'), 'inside an IPv6 subnet');
  t.notOk(list.check('2001:db8:2::5', 'ipv6'));
});

t.test('an IPv4 entry matches the same address mapped into IPv6', async (t) => {
  // Behind a dual-stack socket a v4 visitor arrives as ::ffff:a.b.c.d.
  const list = excludeIps(['203.0.113.7']);
  t.ok(list?.check('::ffff:203.0.113.7', 'ipv6'));
});
