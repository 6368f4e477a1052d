// The geoip plugin on a bare instance: the database opened at start, reloaded on demand and when it
// changes on disk, unwatched at close.
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { GeoIp } from '../../src/pipeline/geoip.js';
import geoipPlugin from '../../src/plugins/geoip.js';
import { testConfig } from '../helpers/app.js';
import { buildMmdb } from '../helpers/mmdb-writer.js';
import { until } from '../helpers/process.js';
import { bareApp, UNREACHABLE_DATABASE } from './bare-app.js';

function database(country: string): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bi-geoip-plugin-'));
  const file = join(dir, 'country.mmdb');
  writeFileSync(file, buildMmdb([['203.0.113.0/24', { country: { iso_code: country } }]]));
  return { dir, file };
}

/** Replaced atomically, as an updater should: rename over the old file. */
function replace(file: string, content: Buffer | string): void {
  writeFileSync(file + '.new', content);
  renameSync(file + '.new', file);
}

t.test('GEOIP_DB=off: no lookup, and a reload has nothing to do', async (t) => {
  const { app } = await bareApp(t, testConfig(UNREACHABLE_DATABASE, { GEOIP_DB: 'off' }), [geoipPlugin]);
  t.equal(app.geoip, null);
  t.equal(await app.reloadGeoip(), true);
});

t.test('the bundled database by default, opened at start and said so', async (t) => {
  const { app, logs } = await bareApp(t, testConfig(UNREACHABLE_DATABASE), [geoipPlugin]);
  t.equal(app.geoip?.country('8.8.8.8'), 'US');
  t.match(logs, [{ msg: 'GeoIP database open' }]);
});

t.test('a file that cannot be read stops the start', async (t) => {
  const { dir } = database('DE');
  await t.rejects(bareApp(t, testConfig(UNREACHABLE_DATABASE, { GEOIP_DB: join(dir, 'missing.mmdb') }), [geoipPlugin]), { name: 'GeoIpError' });
});

t.test('reloadGeoip (SIGHUP): the new file is used; a bad one is refused and the old one stays', async (t) => {
  const { file } = database('DE');
  const { app, logs } = await bareApp(t, testConfig(UNREACHABLE_DATABASE, { GEOIP_DB: file }), [geoipPlugin]);
  t.equal(app.geoip?.country('203.0.113.9'), 'DE');
  replace(file, buildMmdb([['203.0.113.0/24', { country: { iso_code: 'IT' } }]]));
  t.equal(await app.reloadGeoip(), true);
  t.equal(app.geoip?.country('203.0.113.9'), 'IT');
  replace(file, 'garbage');
  t.equal(await app.reloadGeoip(), false);
  t.equal(app.geoip?.country('203.0.113.9'), 'IT', 'still the last good file');
  t.match(logs.slice(1), [{ level: 30, msg: 'GeoIP database reloaded' }, { level: 50, msg: 'GeoIP reload failed; the previous database stays in use' }]);
});

t.test('a file changed on disk is reloaded (polled every 5 s); the watch ends at close', async (t) => {
  const { file } = database('DE');
  const closed: GeoIp[] = [];
  const close = GeoIp.prototype.close;
  t.teardown(() => void (GeoIp.prototype.close = close));
  GeoIp.prototype.close = function () {
    closed.push(this);
    close.call(this);
  };
  const { app, logs } = await bareApp(t, testConfig(UNREACHABLE_DATABASE, { GEOIP_DB: file }), [geoipPlugin]);
  // Replaced until seen: a change before the watcher's first look would not count as one.
  const changed = buildMmdb([['203.0.113.0/24', { country: { iso_code: 'FR' } }]]);
  t.ok(await until(async () => {
    if (app.geoip?.country('203.0.113.9') === 'FR') return true;
    replace(file, changed);
    return false;
  }, 15_000, 500), 'the new file is in use');
  t.match(logs.at(-1), { msg: 'GeoIP database changed on disk and was reloaded' });
  const geoip = app.geoip;
  await app.close();
  t.same(closed, [geoip]);
});
