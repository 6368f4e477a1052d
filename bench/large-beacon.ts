// A valid beacon near every limit, shared by bench/memory.ts and its in-suite version.
import { Agent } from 'node:http';
import { post } from '../test/helpers/listen.js';

// 5 beacons make ~56 KB: as many as fit in the 64 KiB body limit.
export const PER_REQUEST = 5;

const filler = (n: number, seed: number) => (seed.toString(36) + 'abcdefghijklmnopqrstuvwxyz0123456789').repeat(Math.ceil(n / 30)).slice(0, n);

/** 2 KB url and referrer, ~7 KB payload; each one distinct (no string shared between rows). */
export function largeBeacon(i: number) {
  return {
    url: `https://example.com/${filler(2000, i)}?n=${i}`,
    referrer: `https://referrer.example.org/${filler(2000, i + 1)}`,
    type: 'event',
    name: 'large',
    payload: { a: filler(3500, i), b: filler(3500, i + 2), n: i },
  };
}

/**
 * A V8 heap for a 512 MB container: 256 MB of old space, and young-generation semi-spaces of 16 MB
 * (Node 20 picks that by itself for such a heap; Node 22+ grows them to 64 MB, which alone added
 * ~110 MB of peak RSS here on Node 24). On a host with more memory V8 lets garbage grow to 3-4
 * times the live heap before a full collection, so RSS measured there says little about a container.
 */
export const CONTAINER_HEAP = '--max-old-space-size=256 --max-semi-space-size=16';

/** Sends `total` large beacons from `senders` concurrent senders; `sent` can be read while it runs. */
export function sendLargeBeacons(base: string, total: number, senders: number, userAgent: string): { done: Promise<{ failed: number }>; sent(): number } {
  // node:http on kept-alive sockets rather than fetch: undici's fetch cost the sender ~3 ms of CPU a
  // request, as much as the service spent taking it. No answer counts as a failure (status 0).
  const agent = new Agent({ keepAlive: true, maxSockets: senders });
  const url = `${base}/collect`;
  const headers = { 'user-agent': userAgent, 'content-type': 'text/plain' };
  let next = 0;
  let failed = 0;
  const sender = async () => {
    for (let from = next; from < total; from = next) {
      next += PER_REQUEST;
      const body = JSON.stringify(Array.from({ length: Math.min(PER_REQUEST, total - from) }, (_, k) => largeBeacon(from + k)));
      if ((await post(url, body, headers, agent)) !== 204) failed++;
    }
  };
  const done = Promise.all(Array.from({ length: senders }, sender))
    .then(() => ({ failed }))
    .finally(() => agent.destroy());
  return { done, sent: () => next };
}
