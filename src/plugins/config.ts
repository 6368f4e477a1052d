import fp from 'fastify-plugin';
import type { Config } from '../config.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    /** True from SIGTERM on: /ready answers 503 while beacons are still taken. */
    draining: boolean;
  }
}

export default fp<{ config: Config }>(
  async (app, { config }) => {
    app.decorate('config', config);
    app.decorate('draining', false);
  },
  { name: 'config' },
);
