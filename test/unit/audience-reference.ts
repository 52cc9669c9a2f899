// A small, independent reference of the audience rule (docs/contract.md §2.2) for
// property tests. It parses the URI piece by piece instead of with one pattern, so
// it does not share the implementation's mistakes: scheme and host compare
// case-insensitively (ASCII), an explicit default port equals none, an empty path
// equals "/", a fragment or userinfo never matches, nothing else is folded.
function lowerAscii(value: string): string {
  let out = '';
  for (const character of value) {
    const code = character.charCodeAt(0);
    out += character.length === 1 && code >= 0x41 && code <= 0x5a ? String.fromCharCode(code + 0x20) : character;
  }
  return out;
}

/** Canonical form by the rule, or `undefined` for a value that can never match. */
export function referenceCanonical(value: string): string | undefined {
  const separator = value.indexOf('://');
  if (separator === -1) return value;
  const scheme = lowerAscii(value.slice(0, separator));
  if (scheme !== 'http' && scheme !== 'https') return value;
  if (value.includes('#')) return undefined; // a fragment never matches
  const afterScheme = value.slice(separator + 3);
  let authorityEnd = afterScheme.length;
  for (const delimiter of ['/', '?']) {
    const index = afterScheme.indexOf(delimiter);
    if (index !== -1 && index < authorityEnd) authorityEnd = index;
  }
  const authority = afterScheme.slice(0, authorityEnd);
  let rest = afterScheme.slice(authorityEnd);
  if (authority.includes('@')) return undefined; // userinfo never matches
  const closeBracket = authority.lastIndexOf(']');
  const portColon = authority.lastIndexOf(':');
  let host = authority;
  let port: string | undefined;
  if (portColon > closeBracket) {
    host = authority.slice(0, portColon);
    port = authority.slice(portColon + 1);
  }
  const defaultPort = scheme === 'https' ? '443' : '80';
  const hostPart = lowerAscii(host) + (port === undefined || port === defaultPort ? '' : `:${port}`);
  if (rest === '' || rest.startsWith('?')) rest = `/${rest}`;
  return `${scheme}://${hostPart}${rest}`;
}

export function referenceMatches(tokenAudiences: readonly string[], configured: readonly string[]): boolean {
  const accepted = new Set<string>();
  for (const value of configured) {
    const canonical = referenceCanonical(value);
    if (canonical !== undefined) accepted.add(canonical);
  }
  return tokenAudiences.some((value) => {
    const canonical = referenceCanonical(value);
    return canonical !== undefined && accepted.has(canonical);
  });
}
