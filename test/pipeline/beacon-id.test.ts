import t from 'tap';
import { newBeaconId } from '../../src/pipeline/beacon-id.js';

t.test('UUIDv7 bytes: time, version, variant, uniqueness', async (t) => {
  const now = Date.UTC(2026, 10, 23, 12, 0, 0, 123);
  const id = newBeaconId(now);
  t.equal(id.length, 16);
  t.equal(id.readUIntBE(0, 6), now, '48-bit millisecond timestamp first');
  t.equal((id[6] as number) >> 4, 7, 'version 7');
  t.equal((id[8] as number) >> 6, 2, 'RFC 9562 variant');
  const seen = new Set<string>();
  for (let i = 0; i < 50_000; i++) seen.add(newBeaconId(now).toString('hex'));
  t.equal(seen.size, 50_000, 'no repeats across pool refills');
  t.ok(newBeaconId(now + 1000).readUIntBE(0, 6) > newBeaconId(now).readUIntBE(0, 6), 'time-ordered across milliseconds');
});
