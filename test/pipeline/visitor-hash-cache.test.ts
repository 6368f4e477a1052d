import t from 'tap';
import { VisitorHashCache } from '../../src/pipeline/visitor-hash-cache.js';
import { visitorHash } from '../../src/pipeline/visitor-hash.js';

const secret = 'test-secret-0123456789abcdef';
const salt = Buffer.alloc(32, 1);
const other = Buffer.alloc(32, 2);

t.test('the same hashes as visitorHash, cached per day, site, address and agent', async (t) => {
  const cache = new VisitorHashCache(secret, 2);
  const direct = visitorHash(secret, salt, 'a.example', '198.51.100.1', 'UA');
  t.equal(cache.hash('2026-01-01', salt, 'a.example', '198.51.100.1', 'UA'), direct);
  t.equal(cache.hash('2026-01-01', salt, 'a.example', '198.51.100.1', 'UA'), direct, 'from the cache');
  t.equal(cache.hash('2026-01-02', other, 'a.example', '198.51.100.1', 'UA'), visitorHash(secret, other, 'a.example', '198.51.100.1', 'UA'), 'the day is part of the key');
  const long = 'U'.repeat(2000);
  t.equal(cache.hash('2026-01-01', salt, 'a.example', '198.51.100.1', long), visitorHash(secret, salt, 'a.example', '198.51.100.1', long), 'a huge agent is hashed, not cached');
});
