import fp from 'fastify-plugin';
import { GeoIp } from '../pipeline/geoip.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Country lookup, or null with GEOIP_DB=off. */
    geoip: GeoIp | null;
    /** Re-reads the GeoIP database (SIGHUP); resolves false when the new file is unusable. */
    reloadGeoip(): Promise<boolean>;
  }
}

// How often the database file's mtime is polled for changes.
const WATCH_INTERVAL_MS = 5000;

/** Opens the GeoIP database once at start (a bad file stops the start) and reloads it when it changes. */
export default fp(
  async (app) => {
    const path = app.config.geoipDb;
    const geoip = path === null ? null : await GeoIp.open(path);
    app.decorate('geoip', geoip);
    app.decorate('reloadGeoip', async () => {
      if (geoip === null) return true;
      try {
        await geoip.reload();
        app.log.info({ path: geoip.path }, 'GeoIP database reloaded');
        return true;
      } catch (err) {
        app.log.error({ err }, 'GeoIP reload failed; the previous database stays in use');
        return false;
      }
    });
    if (geoip !== null) {
      app.log.info({ path: geoip.path }, 'GeoIP database open');
      geoip.watch(
        WATCH_INTERVAL_MS,
        () => app.log.info({ path: geoip.path }, 'GeoIP database changed on disk and was reloaded'),
        (err) => app.log.error({ err }, 'GeoIP database changed on disk but cannot be read; the previous one stays in use'),
      );
      app.addHook('onClose', async () => geoip.close());
    }
  },
  { name: 'geoip', dependencies: ['config'] },
);
