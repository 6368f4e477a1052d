import { timingSafeEqual } from 'node:crypto';

/**
 * Whether an Authorization header carries `Bearer token`, compared in constant time; null when
 * no token is set (the caller then lets everyone through).
 */
export function bearerToken(token: string | undefined): ((header: string | undefined) => boolean) | null {
  if (token === undefined) return null;
  const expected = Buffer.from(`Bearer ${token}`);
  return (header) => {
    const given = Buffer.from(header ?? '');
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
}
