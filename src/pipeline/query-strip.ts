/**
 * URL_QUERY_STRIP: query parameters that carry secrets or personal data (reset tokens, emails,
 * API keys) never reach the table or the log.
 */
export class QueryStripper {
  readonly #names: ReadonlySet<string>;
  readonly #inText: RegExp | null;

  constructor(names: readonly string[]) {
    this.#names = new Set(names.map((n) => n.toLowerCase()));
    const escaped = [...this.#names].map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    this.#inText = escaped.length === 0 ? null : new RegExp(`(^|[?&;\\s"'])(${escaped.join('|')})=[^&#\\s"']*`, 'gi');
  }

  /** Removes the listed parameters (names compared case-insensitively); the URL is re-serialised only when one was there. */
  strip(url: URL): URL {
    if (url.search.length < 2 || this.#names.size === 0) return url;
    let found: string[] | null = null;
    for (const key of url.searchParams.keys()) {
      if (this.#names.has(key.toLowerCase())) (found ??= []).push(key);
    }
    if (found !== null) for (const key of found) url.searchParams.delete(key);
    return url;
  }

  /** The same parameters' values blanked in free text (log excerpts of rejected bodies). */
  redact(text: string): string {
    return this.#inText === null ? text : text.replace(this.#inText, '$1$2=[redacted]');
  }
}
