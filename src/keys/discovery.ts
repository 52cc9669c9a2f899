/**
 * The one discovery of authorization server metadata, for the key sets (an
 * issuer's `jwks_uri`), for upstream credentials (an issuer's
 * `token_endpoint`) and for token introspection (`introspection_endpoint`); docs/adr/0009-one-discovery-implementation.md says why it
 * is hand-written. RFC 8414 metadata first (`/.well-known/oauth-authorization-server`
 * inserted before the issuer's path), then OpenID Connect Discovery
 * (`/.well-known/openid-configuration` appended). A document is used only when
 * its `issuer` equals the configured issuer exactly (RFC 8414 §3.3) and the
 * endpoint it names obeys the URI rules (https; http only for loopback hosts);
 * otherwise the next one is tried. Every fetch is bounded (src/keys/fetch-json.ts)
 * and goes through the caller's fetch, the guarded one in Kubernetes mode.
 */
import type { EndpointFetch } from '../net/endpoint-failure.ts';
import { fetchJSONObject, FetchJSONError, type FetchLimits } from './fetch-json.ts';
import { identifierURIProblem } from '../policy/uri-rules.ts';

/** The metadata members the service looks up (RFC 8414 §2). */
export type MetadataEndpoint = 'jwks_uri' | 'token_endpoint' | 'introspection_endpoint';

export function discoveryURLs(issuer: string): string[] {
  const url = new URL(issuer);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return [
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
    `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`,
  ];
}

/** The `endpoint` URL from the first usable metadata document; otherwise a FetchJSONError listing every URL tried and why. */
export async function discoverEndpoint(
  issuer: string,
  endpoint: MetadataEndpoint,
  limits: FetchLimits,
  fetcher: EndpointFetch = fetch,
): Promise<string> {
  const failures: string[] = [];
  for (const url of discoveryURLs(issuer)) {
    try {
      const metadata = await fetchJSONObject(url, limits, fetcher);
      if (metadata.issuer !== issuer) {
        failures.push(`${url}: issuer in the document does not match`);
        continue;
      }
      const value = metadata[endpoint];
      if (typeof value !== 'string' || identifierURIProblem(value, { allowQuery: true }) !== undefined) {
        failures.push(`${url}: no usable ${endpoint}`);
        continue;
      }
      return value;
    } catch (error) {
      failures.push(`${url}: ${(error as Error).message}`);
    }
  }
  throw new FetchJSONError(`discovery failed: ${failures.join('; ')}`);
}
