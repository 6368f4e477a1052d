import proxyAddr from '@fastify/proxy-addr';
import type { TrustProxy } from '../config.js';

/** proxy-addr's trust test: may the hop at `hop` (0 = the socket peer) at `address` set X-Forwarded-*? */
export type TrustFn = (address: string, hop: number) => boolean;

/**
 * TRUST_PROXY as one trust function, used both for the client address (Fastify's trustProxy)
 * and to decide whether a CDN's country header may be believed. A hop count trusts that many
 * hops from the socket: Fastify 5 itself turns a number into "trust nothing", because a client
 * that reaches the port directly could then forge the chain; CIDRs are the recommended form.
 */
export function compileTrust(tp: TrustProxy): TrustFn {
  if (tp === true) return () => true;
  if (tp === false) return () => false;
  if (typeof tp === 'number') return (_address, hop) => hop < tp;
  return proxyAddr.compile(tp);
}
