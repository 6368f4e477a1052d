import underPressure from '@fastify/under-pressure';
import fp from 'fastify-plugin';

// An event loop stalled this long means beacons wait in kernel queues: /ready turns 503 so a load
// balancer sends elsewhere. Memory is bounded by BUFFER_CAPACITY and SESSION_STORE_MAX instead.
const MAX_EVENT_LOOP_DELAY_MS = 1000;

/**
 * Event-loop delay, utilisation and memory, sampled by @fastify/under-pressure and shown on
 * /health; /ready reports the pressure. The plugin never answers by itself: its pressure handler
 * lets every request through, since /collect must answer 204 whatever happens.
 */
export default fp(
  async (app) => {
    await app.register(underPressure, {
      maxEventLoopDelay: MAX_EVENT_LOOP_DELAY_MS,
      pressureHandler: () => undefined,
      exposeStatusRoute: false,
    });
  },
  { name: 'pressure' },
);
