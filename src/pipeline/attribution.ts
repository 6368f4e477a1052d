import { COLUMN_CHARS } from '../sinks/columns.js';
import { cut, stripMarkup } from './sanitize.js';

export interface Utm {
  utmSource: string | null;
  utmMedium: string | null;
  utmCampaign: string | null;
  utmTerm: string | null;
  utmContent: string | null;
}

const NO_UTM: Utm = { utmSource: null, utmMedium: null, utmCampaign: null, utmTerm: null, utmContent: null };

/** The five UTM parameters of a landing URL, decoded, sanitised like any stored string, cut to 255. */
export function utmParameters(url: URL): Utm {
  if (!url.search.includes('utm_')) return NO_UTM;
  const q = url.searchParams;
  return {
    utmSource: clean(q.get('utm_source')),
    utmMedium: clean(q.get('utm_medium')),
    utmCampaign: clean(q.get('utm_campaign')),
    utmTerm: clean(q.get('utm_term')),
    utmContent: clean(q.get('utm_content')),
  };
}

function clean(value: string | null): string | null {
  // Decoded query values can hold markup that the percent-encoded url column does not.
  return value === null ? null : cut(stripMarkup(value), COLUMN_CHARS.utm) || null;
}

/**
 * The referrer as a first touch: NULL when there is none or it is the site itself (a reload, a
 * link between its own pages), comparing hostnames without a leading "www.".
 */
export function firstTouchReferrer(referrer: string | null, hostname: string): string | null {
  if (referrer === null) return null;
  const from = URL.parse(referrer)?.hostname;
  if (from === undefined) return referrer;
  return bare(from) === bare(hostname) ? null : referrer;
}

function bare(host: string): string {
  return host.startsWith('www.') ? host.slice(4) : host;
}
