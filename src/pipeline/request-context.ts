/** What the pipeline needs to know about the request, read once per request by the route. */
export interface RequestContext {
  /** The Origin header, if any. */
  origin: string | undefined;
  /** The client address (canonical, after TRUST_PROXY). */
  ip: string;
  /** The User-Agent header, if any. */
  userAgent: string | undefined;
  /** The socket peer's address: the hop whose trust decides whether CDN headers are believed. */
  peer: string;
  /** The CDN_COUNTRY_HEADER header, when that setting names one and the request carries it. */
  cdnCountry: string | undefined;
  /** `DNT: 1` or `Sec-GPC: 1` was sent. */
  doNotTrack: boolean;
  /**
   * The request came through the tracking pixel. There an email image proxy (Gmail, Yahoo)
   * fetching the image stands for a person opening a mail: counted, with no country (the
   * address is the proxy's). On POST such an agent is a bot like any other.
   */
  pixel?: boolean;
}
