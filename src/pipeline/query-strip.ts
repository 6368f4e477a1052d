/**
 * URL_QUERY_STRIP: query parameters that carry secrets or personal data (reset tokens, emails,
 * API keys) never reach the table or the log.
 */
export class QueryStripper {
  readonly #names: ReadonlySet<string>;
  readonly #inText: RegExp | null;
  // A cheap test before splitting the query: a listed name at a parameter's start, or any escape.
  readonly #maybe: RegExp | null;

  constructor(names: readonly string[]) {
    this.#names = new Set(names.map((n) => n.toLowerCase()));
    const escaped = [...this.#names].map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    this.#inText = escaped.length === 0 ? null : new RegExp(`(^|[?&;\\s"'])(${escaped.join('|')})=[^&#\\s"']*`, 'gi');
    this.#maybe = escaped.length === 0 ? null : new RegExp(`[?&](?:${escaped.join('|')})(?:[=&]|$)|%|\\+`, 'i');
  }

  /**
   * Removes the listed parameters (names compared case-insensitively, after decoding). The other
   * parameters keep their exact encoding: re-serialising through URLSearchParams would rewrite
   * "~" as "%7E" and "%20" as "+", lengthening the URL and splitting one page into two strings.
   */
  strip(url: URL): URL {
    const search = url.search;
    if (search.length < 2 || this.#maybe === null || !this.#maybe.test(search)) return url;
    const pieces = search.slice(1).split('&');
    const kept = pieces.filter((piece) => !this.#names.has(paramName(piece)));
    if (kept.length < pieces.length) url.search = kept.length === 0 ? '' : '?' + kept.join('&');
    return url;
  }

  /** The same parameters' values blanked in free text (log excerpts of rejected bodies). */
  redact(text: string): string {
    return this.#inText === null ? text : text.replace(this.#inText, '$1$2=[redacted]');
  }
}

function paramName(piece: string): string {
  const eq = piece.indexOf('=');
  const raw = (eq === -1 ? piece : piece.slice(0, eq)).replaceAll('+', ' ');
  try {
    return decodeURIComponent(raw).toLowerCase();
  } catch {
    return raw.toLowerCase();
  }
}
