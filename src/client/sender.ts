import type { Beacon } from './beacon.js';
import type { Nav, Win } from './environment.js';
import { guard } from './guard.js';
import { MAX_BATCH, MAX_BODY_CHARS } from './limits.js';

const noop = (): void => {};

export interface Sender {
  push(b: Beacon): void;
  /** Sends what is queued now, for when the page may be gone before the deferred flush. */
  flush(): void;
}

/** Where beacons go: data-endpoint against the page, else the default path on the script's origin. */
export function resolveEndpoint(path: string, src: string | null | undefined, endpoint: string | null | undefined, base: string): string {
  return endpoint ? new URL(endpoint, base).href : new URL(path, src || base).href;
}

/** Queues beacons and sends those of one task together: one object, or an array of at most
 * MAX_BATCH within MAX_BODY_CHARS. A beacon is serialised when pushed, so later changes to the
 * caller's props object do not alter it. */
export function createSender(w: Win, endpoint: string, defer: (fn: () => void) => void): Sender {
  let queue: string[] = [];
  let armed = false;
  const transmit = (body: string): void => {
    try {
      // text/plain: a CORS-safelisted type, so no preflight. A missing sendBeacon (or Blob) throws
      // here; false means the browser refused (quota, size): both fall back to fetch.
      if ((w.navigator.sendBeacon as NonNullable<Nav['sendBeacon']>)(endpoint, new (w.Blob as NonNullable<Win['Blob']>)([body], { type: 'text/plain' }))) return;
    } catch (e) {
      // fall through
    }
    guard(() => {
      // no-cors: the answer is an empty 204 we never read, and a refused origin then logs nothing.
      (w.fetch as NonNullable<Win['fetch']>)(endpoint, { method: 'POST', body, headers: { 'Content-Type': 'text/plain' }, keepalive: true, mode: 'no-cors' }).catch(noop);
    });
  };
  const flush = (): void => {
    armed = false;
    const items = queue;
    queue = [];
    let parts: string[] = [];
    let size = 0;
    const out = (): void => {
      if (parts.length) transmit(parts.length > 1 ? '[' + parts.join(',') + ']' : (parts[0] as string));
      parts = [];
      size = 0;
    };
    for (const s of items) {
      if (parts.length >= MAX_BATCH || size + s.length > MAX_BODY_CHARS) out();
      parts.push(s);
      size += s.length + 1;
    }
    out();
  };
  return {
    push(b) {
      queue.push(JSON.stringify(b));
      if (!armed) {
        armed = true;
        defer(() => guard(flush));
      }
    },
    flush,
  };
}
