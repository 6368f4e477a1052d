import type { Beacon } from './beacon.js';
import type { Nav, Win } from './environment.js';
import { guard } from './guard.js';
import { MAX_BATCH, MAX_BODY_CHARS } from './limits.js';

const noop = (): void => {};

export interface Sender {
  enqueue(b: Beacon): void;
  /** Sends what is queued now, for when the page may be gone before the deferred flush. */
  flush(): void;
}

/** Where beacons go: data-endpoint against the page, else the default path on the script's origin. */
export function resolveEndpoint(path: string, src: string | null | undefined, endpoint: string | null | undefined, base: string): string {
  return endpoint ? new URL(endpoint, base).href : new URL(path, src || base).href;
}

/** Queues beacons and sends those of one task together: one object, or an array of at most
 * MAX_BATCH within MAX_BODY_CHARS. A beacon is serialised when queued, so later changes to the
 * caller's props object do not alter it. */
export function createSender(w: Win, endpoint: string, defer: (fn: () => void) => void): Sender {
  let queue: string[] = [];
  const transmit = (body: string): void => {
    try {
      // A string goes as text/plain, a CORS-safelisted type: no preflight. A missing sendBeacon
      // throws here; false means the browser refused (quota, size): both fall back to fetch.
      if ((w.navigator.sendBeacon as NonNullable<Nav['sendBeacon']>)(endpoint, body)) return;
    } catch {
      // fall through
    }
    guard(() => {
      // no-cors: the answer is an empty 204 we never read, and a refused origin then logs nothing.
      (w.fetch as NonNullable<Win['fetch']>)(endpoint, { method: 'POST', body, keepalive: true, mode: 'no-cors' }).catch(noop);
    });
  };
  const flush = (): void => {
    let body = '';
    let n = 0;
    const out = (): void => {
      if (n) transmit(n > 1 ? '[' + body + ']' : body);
      body = '';
      n = 0;
    };
    queue.forEach((s) => {
      // 3: the brackets and a comma
      if (n >= MAX_BATCH || body.length + s.length + 3 > MAX_BODY_CHARS) out();
      body += (n++ ? ',' : '') + s;
    });
    queue = [];
    out();
  };
  return {
    enqueue(b) {
      // The first in the queue arms the deferred flush (one that finds the queue empty is harmless).
      if (queue.push(JSON.stringify(b)) == 1) defer(() => guard(flush));
    },
    flush,
  };
}
