/**
 * The `htu` rule of a DPoP proof (RFC 9449 §4.2-4.3): the URL the client
 * addressed, without query or fragment. The expected value is built from
 * the scheme of the policy's `resource` (a proxy behind TLS termination
 * often sees plain http), the request's `:authority` and its path. Both
 * sides go through the WHATWG URL parser, which lower-cases scheme and host,
 * drops a default port and normalises the path the same way for both; a
 * query or fragment in the proof's `htu` is ignored.
 */

/** `scheme://host[:port]/path` of `url`, or undefined when it is no absolute http(s) URL. */
function targetOf(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if ((parsed.protocol !== 'https:' && parsed.protocol !== 'http:') || parsed.username !== '' || parsed.password !== '') return undefined;
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}

/**
 * The target the proof must name, or undefined when the request does not say
 * (no authority: the step then refuses, never guesses).
 */
export function expectedTarget(resource: string, authority: string | undefined, path: string): string | undefined {
  if (authority === undefined || authority === '' || /[/?#@\\\s]/.test(authority) || !path.startsWith('/')) return undefined;
  const scheme = resource.slice(0, resource.indexOf(':')).toLowerCase();
  return targetOf(`${scheme}://${authority}${path}`);
}

/** Whether the proof's `htu` names `expected` (from {@link expectedTarget}). */
export function htuMatches(htu: unknown, expected: string): boolean {
  if (typeof htu !== 'string' || htu.length > 8192) return false;
  return targetOf(htu) === expected;
}
