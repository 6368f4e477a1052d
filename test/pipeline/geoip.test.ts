import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { BUNDLED_GEOIP_DB } from '../../src/config.js';
import { GeoIp, GeoIpError } from '../../src/pipeline/geoip.js';
import { buildMmdb } from '../helpers/mmdb-writer.js';
import { until } from '../helpers/process.js';

t.test('the bundled database resolves known addresses, IPv4 and IPv6', async (t) => {
  const geo = await GeoIp.open(BUNDLED_GEOIP_DB);
  t.equal(geo.country('8.8.8.8'), 'US', 'Google DNS');
  t.equal(geo.country('2001:4860:4860::8888'), 'US', 'Google DNS over IPv6');
  t.equal(geo.country('81.2.69.142'), 'GB');
  t.equal(geo.country('193.0.0.1'), 'NL', 'RIPE NCC');
  t.equal(geo.country('2001:67c:2e8::1'), 'NL', 'RIPE NCC over IPv6');
  t.equal(geo.country('10.1.2.3'), null, 'private range');
  t.equal(geo.country('127.0.0.1'), null);
  t.equal(geo.country('not an ip'), null);
});

t.test('a database in the MaxMind record shape (country.iso_code) resolves too', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bi-geo-'));
  const file = join(dir, 'GeoLite2-Country.mmdb');
  writeFileSync(file, buildMmdb([
    ['203.0.113.0/24', { country: { iso_code: 'DE', names: { en: 'Germany' } } }],
    ['198.51.100.0/24', { registered_country: { iso_code: 'FR' } }],
    ['2001:db8:1::/48', { country: { iso_code: 'JP' } }],
  ]));
  const geo = await GeoIp.open(file);
  t.equal(geo.country('203.0.113.9'), 'DE');
  t.equal(geo.country('198.51.100.9'), 'FR', 'registered_country when country is missing');
  t.equal(geo.country('2001:db8:1::42'), 'JP');
  t.equal(geo.country('192.0.2.1'), null);
});

t.test('a missing or corrupt file fails with a message naming GEOIP_DB', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bi-geo-'));
  await t.rejects(GeoIp.open(join(dir, 'nope.mmdb')), { name: 'GeoIpError', message: /GEOIP_DB .*nope\.mmdb.*no such file.*GEOIP_DB=off/ });
  const corrupt = join(dir, 'corrupt.mmdb');
  writeFileSync(corrupt, 'this is not a database');
  await t.rejects(GeoIp.open(corrupt), GeoIpError);
});

t.test('reload: picks up a changed file; a bad replacement keeps the database in use', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bi-geo-'));
  const file = join(dir, 'db.mmdb');
  writeFileSync(file, buildMmdb([['203.0.113.0/24', { country: { iso_code: 'DE' } }]]));
  const geo = await GeoIp.open(file);
  t.teardown(() => geo.close());
  const reloads: string[] = [];
  geo.watch(50, () => reloads.push('ok'), () => reloads.push('failed'));
  // fs.watchFile compares each look with its first, taken asynchronously and announced by nothing:
  // a file replaced before that first look would be the baseline, and no change would be seen.
  await sleep(20);
  // Replaced atomically, as an updater should: rename over the old file.
  writeFileSync(file + '.new', buildMmdb([['203.0.113.0/24', { country_code: 'IT' }]]));
  renameSync(file + '.new', file);
  await until(async () => reloads.length > 0, 2000, 20);
  t.same(reloads, ['ok']);
  t.equal(geo.country('203.0.113.9'), 'IT', 'the new file, in the ip-location-db shape');
  writeFileSync(file, 'garbage');
  await t.rejects(geo.reload(), GeoIpError);
  t.equal(geo.country('203.0.113.9'), 'IT', 'still answering from the last good file');
});
