/**
 * The audience rule (docs/contract.md §2.2, RFC 8707, RFC 9068 §4 step 4).
 *
 * An `aud` value matches when it equals an accepted value after this minimal
 * canonical form, applied only to http/https URIs:
 *   - scheme and host compare case-insensitively (ASCII only);
 *   - an explicit default port (443 for https, 80 for http) equals no port;
 *   - an empty path equals `/`.
 * Nothing else is normalised: no percent-decoding, no dot segments, no Unicode
 * folding; path case matters; `/mcp` is not `/mcp/`; never prefix matching.
 * A URI carrying a fragment or userinfo never matches. Other strings compare exactly.
 */

const HTTP_URI = /^(https?):\/\/([^/?#]*)([^#]*)(#.*)?$/i;
const ASCII_UPPER = /[A-Z]+/g;

/**
 * Lower-cases ASCII letters only (RFC 3986 §6.2.2.1). String#toLowerCase would
 * also fold some non-ASCII letters onto ASCII (U+212A KELVIN SIGN → "k"),
 * which would let one host name match another's policy.
 */
export function asciiLower(value: string): string {
  return value.replace(ASCII_UPPER, (letters) => letters.toLowerCase());
}

/**
 * Canonical form used for comparison, or `undefined` for a value that can never
 * match (an http(s) URI with a fragment or userinfo).
 */
export function canonicalAudience(value: string): string | undefined {
  const match = HTTP_URI.exec(value);
  if (match === null) return value;
  const [, rawScheme = '', rawAuthority = '', rawRest = '', fragment] = match;
  if (fragment !== undefined || rawAuthority.includes('@')) return undefined;
  const scheme = asciiLower(rawScheme);
  let authority = asciiLower(rawAuthority);
  const defaultPort = scheme === 'https' ? ':443' : ':80';
  // Only a single port after a host (or an IPv6 literal) is folded, so the form is idempotent.
  const host = authority.slice(0, -defaultPort.length);
  if (authority.endsWith(defaultPort) && (host.endsWith(']') || !host.includes(':'))) authority = host;
  const rest = rawRest === '' || rawRest.startsWith('?') ? `/${rawRest}` : rawRest;
  return `${scheme}://${authority}${rest}`;
}

/** A token's `aud` claim as a list, or `undefined` when it is absent or not a string / array of strings. */
export function audienceValues(aud: unknown): readonly string[] | undefined {
  if (typeof aud === 'string') return [aud];
  if (Array.isArray(aud) && aud.length > 0 && aud.every((value) => typeof value === 'string')) return aud;
  return undefined;
}

/** True when one of the token's audiences is in the accepted set (already canonical). */
export function audienceMatches(tokenAudiences: readonly string[], accepted: ReadonlySet<string>): boolean {
  for (const value of tokenAudiences) {
    const canonical = canonicalAudience(value);
    if (canonical !== undefined && accepted.has(canonical)) return true;
  }
  return false;
}
