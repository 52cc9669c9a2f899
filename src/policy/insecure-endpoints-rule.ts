/**
 * Tenant rule: every endpoint a Kubernetes policy makes the service contact
 * is `https` and not a loopback, link-local or unspecified IP address
 * (`127.0.0.1`, `[::1]`, `169.254.169.254`, `0.0.0.0`, `[::]`,
 * `[::ffff:127.0.0.1]` …) — otherwise a tenant could make the pod call its
 * own sidecar's admin port, the node's metadata service, or scan local ports
 * through status messages. Names (`localhost` included) are decided after
 * resolution, on every connection (src/net/endpoint-guard.ts): status then
 * says `refused: address not allowed`. The operator lifts both with
 * `--allow-insecure-endpoints` (development only).
 */
import { isForbiddenHostLiteral } from '../net/forbidden-address.ts';
import type { AudiencePolicyDocument } from './policy-schema.ts';
import type { TenantRule } from './tenant-rules.ts';
import type { PolicyProblem } from './validate-policy.ts';

const INSECURE_ENDPOINT = 'InsecureEndpoint';

/** Why `url` may not be contacted for a tenant, or undefined. Reusable for any endpoint field. */
function insecureEndpointProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an absolute https URL';
  }
  if (parsed.protocol !== 'https:') return 'must use https (plain http needs the operator flag --allow-insecure-endpoints)';
  if (isForbiddenHostLiteral(parsed.hostname)) {
    return 'must not be a loopback, link-local or unspecified address (allowed only with the operator flag --allow-insecure-endpoints)';
  }
  return undefined;
}

/** Every URL of the policy that the service contacts, with its JSON pointer. Add new endpoint fields here. */
function contactedEndpoints(policy: AudiencePolicyDocument): { readonly path: string; readonly url: string }[] {
  const { spec } = policy;
  const endpoints: { path: string; url: string }[] = [];
  spec.issuers.forEach((issuer, index) => {
    endpoints.push({ path: `/spec/issuers/${index}/issuer`, url: issuer.issuer });
    if (issuer.jwksUri !== undefined) endpoints.push({ path: `/spec/issuers/${index}/jwksUri`, url: issuer.jwksUri });
    const introspection = issuer.introspection?.endpoint;
    if (introspection !== undefined) endpoints.push({ path: `/spec/issuers/${index}/introspection/endpoint`, url: introspection });
  });
  const grants = [['tokenExchange', spec.upstream?.tokenExchange], ['clientCredentials', spec.upstream?.clientCredentials]] as const;
  for (const [name, grant] of grants) {
    if (grant?.tokenEndpoint !== undefined) endpoints.push({ path: `/spec/upstream/${name}/tokenEndpoint`, url: grant.tokenEndpoint });
    if (grant?.issuer !== undefined) endpoints.push({ path: `/spec/upstream/${name}/issuer`, url: grant.issuer });
  }
  return endpoints;
}

export const insecureEndpointsRule: TenantRule = (policy, _namespace, options): PolicyProblem[] => {
  if (options.allowInsecureEndpoints) return [];
  return contactedEndpoints(policy).flatMap(({ path, url }) => {
    const message = insecureEndpointProblem(url);
    return message === undefined ? [] : [{ path, message, reason: INSECURE_ENDPOINT }];
  });
};
