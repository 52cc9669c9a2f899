/**
 * Which proxy asked, and what the original request was. Each family of
 * forward-auth proxies describes the client's request in its own headers:
 *   - `forwarded` (Traefik ForwardAuth, Caddy forward_auth): X-Forwarded-Method,
 *     -Proto, -Host and -Uri;
 *   - `nginx` (auth_request): X-Original-Method and X-Original-URI, with Host;
 *   - `ingress-nginx` (auth-url): X-Original-URL (absolute) and X-Original-Method;
 *   - `envoy` (ext_authz http_service): the request line and Host themselves,
 *     after the configured path prefix.
 * A client can send any of these headers itself, and some proxies pass them
 * on; so a request that carries the defining headers of two families, a
 * family only in part, or one of its headers twice is refused, never guessed
 * at. Pure: headers in, the original request (or a refusal) out.
 */
import { MultiValued, singleValue, type DistinctHeaders } from './distinct-headers.ts';

export const PROXY_FAMILIES = ['forwarded', 'nginx', 'ingress-nginx', 'envoy'] as const;
export type ProxyFamily = (typeof PROXY_FAMILIES)[number];
export type ProxySetting = ProxyFamily | 'auto';

/** The client's request as the proxy saw it. `target` is the path with its query, raw. */
export interface OriginalRequest {
  readonly family: ProxyFamily;
  readonly method: string;
  /** Host and port as the client addressed them. */
  readonly authority: string;
  readonly target: string;
}

/** What the listener itself received: the request line, and the proxy's path prefix (envoy). */
export interface RequestLine {
  readonly method: string;
  readonly target: string;
  readonly pathPrefix: string | undefined;
}

/**
 * The headers whose presence says "this family": X-Forwarded-Proto, -Host and
 * -For say nothing, since many proxies add them to every request.
 */
const DEFINING: Readonly<Record<Exclude<ProxyFamily, 'envoy'>, readonly string[]>> = {
  forwarded: ['x-forwarded-method', 'x-forwarded-uri'],
  nginx: ['x-original-uri'],
  'ingress-nginx': ['x-original-url'],
};

const METHOD = /^[A-Z]{1,20}$/;
// An authority without userinfo: a reg-name or IPv4 address, or an IPv6 literal, and an optional port.
const AUTHORITY = /^(?:[A-Za-z0-9._~%!$&'()*+,;=-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
const ABSOLUTE_URL = /^https?:\/\/([^/?#]*)([^#]*)$/i;

/** The family of a request, or undefined when the defining headers of two families are present. */
export function familyOf(headers: DistinctHeaders, setting: ProxySetting): ProxyFamily | undefined {
  const present = (Object.keys(DEFINING) as (keyof typeof DEFINING)[])
    .filter((family) => DEFINING[family].some((name) => headers[name] !== undefined));
  if (present.length > 1) return undefined;
  const found: ProxyFamily = present[0] ?? 'envoy';
  if (setting === 'auto') return found;
  // A pinned family with another family's headers next to it: a forgery the proxy did not clear.
  return present.length === 0 || found === setting ? setting : undefined;
}

/** The original request, or undefined when the headers do not describe exactly one. */
export function originalRequest(headers: DistinctHeaders, line: RequestLine, setting: ProxySetting): OriginalRequest | undefined {
  try {
    const family = familyOf(headers, setting);
    if (family === undefined) return undefined;
    const read = (name: string): string | undefined => singleValue(headers, name);
    const parts = partsOf(family, read, line);
    if (parts === undefined) return undefined;
    const method = parts.method?.toUpperCase();
    const { authority, target } = parts;
    if (method === undefined || authority === undefined || target === undefined) return undefined;
    if (!METHOD.test(method) || !AUTHORITY.test(authority) || !target.startsWith('/')) return undefined;
    return { family, method, authority, target };
  } catch (error) {
    if (error instanceof MultiValued) return undefined;
    throw error;
  }
}

interface Parts {
  readonly method: string | undefined;
  readonly authority: string | undefined;
  readonly target: string | undefined;
}

function partsOf(family: ProxyFamily, read: (name: string) => string | undefined, line: RequestLine): Parts | undefined {
  switch (family) {
    case 'forwarded':
      // Proto is part of the family: a proxy that sends the others sends it too.
      if (read('x-forwarded-proto') === undefined) return undefined;
      return { method: read('x-forwarded-method'), authority: read('x-forwarded-host'), target: read('x-forwarded-uri') };
    case 'nginx':
      return { method: read('x-original-method'), authority: read('host'), target: read('x-original-uri') };
    case 'ingress-nginx': {
      const match = ABSOLUTE_URL.exec(read('x-original-url') ?? '');
      if (match === null) return undefined;
      const rest = match[2] ?? '';
      return { method: read('x-original-method'), authority: match[1], target: rest.startsWith('/') ? rest : `/${rest}` };
    }
    case 'envoy':
      return { method: line.method, authority: read('host'), target: withoutPrefix(line.target, line.pathPrefix) };
  }
}

/** Envoy's `path_prefix` taken off again; a request outside it is not one Envoy sent. */
function withoutPrefix(target: string, prefix: string | undefined): string | undefined {
  if (prefix === undefined) return target;
  if (!target.startsWith(prefix)) return undefined;
  const rest = target.slice(prefix.length);
  return rest.startsWith('/') ? rest : undefined;
}
