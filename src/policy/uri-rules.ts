/**
 * URI rules for resource identifiers and issuer URLs (SPEC.md 1.2; RFC 8707
 * §2, RFC 9728 §1.2, RFC 8414 §2): absolute, https (http only for a loopback
 * host, for local development), no query, no fragment, no userinfo.
 */

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** A problem with `value` as an identifier URI, or `undefined` when it is fine. */
export function identifierURIProblem(value: string, options: { allowQuery?: boolean } = {}): string | undefined {
  if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(value)) return 'must be an absolute URI';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URI';
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    return 'must use https (http only for loopback hosts)';
  }
  if (value.includes('#')) return 'must not contain a fragment';
  if (!options.allowQuery && value.includes('?')) return 'must not contain a query';
  if (url.username !== '' || url.password !== '' || value.slice(0, value.indexOf('/', value.indexOf('//') + 2) >>> 0).includes('@')) {
    return 'must not contain userinfo';
  }
  if (/\s/.test(value)) return 'must not contain white space';
  return undefined;
}
