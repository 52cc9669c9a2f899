/**
 * Finds an issuer's JWKS URI: RFC 8414 authorization server metadata first
 * (`/.well-known/oauth-authorization-server` inserted before the issuer's
 * path), then OpenID Connect Discovery (`/.well-known/openid-configuration`
 * appended). The document's `issuer` must equal the configured issuer exactly
 * (RFC 8414 §3.3), or it is not used.
 */
import type { EndpointFetch } from '../net/endpoint-failure.ts';
import { fetchJSONObject, FetchJSONError, type FetchLimits } from './fetch-json.ts';
import { identifierURIProblem } from '../policy/uri-rules.ts';

export function discoveryURLs(issuer: string): string[] {
  const url = new URL(issuer);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return [
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
    `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`,
  ];
}

export async function discoverJWKSUri(issuer: string, limits: FetchLimits, fetcher: EndpointFetch = fetch): Promise<string> {
  const failures: string[] = [];
  for (const url of discoveryURLs(issuer)) {
    try {
      const metadata = await fetchJSONObject(url, limits, fetcher);
      if (metadata.issuer !== issuer) {
        failures.push(`${url}: issuer in the document does not match`);
        continue;
      }
      const jwksUri = metadata.jwks_uri;
      if (typeof jwksUri !== 'string' || identifierURIProblem(jwksUri, { allowQuery: true }) !== undefined) {
        failures.push(`${url}: no usable jwks_uri`);
        continue;
      }
      return jwksUri;
    } catch (error) {
      failures.push(`${url}: ${(error as Error).message}`);
    }
  }
  throw new FetchJSONError(`discovery failed: ${failures.join('; ')}`);
}
