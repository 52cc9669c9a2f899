/**
 * The runtime form of `spec.issuers[].introspection` (defaults applied, the
 * secret source resolved to the policy's namespace, the endpoint identity
 * built once).
 */
import type { ClientSecretSource, RuntimeIntrospection } from '../core/runtime-policy.ts';
import type { IntrospectionSpec } from './introspection-schema.ts';
import { POLICY_DEFAULTS } from './policy-defaults.ts';

export function compileIntrospection(
  issuer: string, introspection: IntrospectionSpec | undefined, namespace: string,
): RuntimeIntrospection | undefined {
  if (introspection === undefined) return undefined;
  const clientSecret: ClientSecretSource = introspection.clientSecretRef === undefined
    ? { kind: 'file', path: introspection.clientSecretFile ?? '', namespace }
    : { kind: 'secret', namespace, name: introspection.clientSecretRef.name, key: introspection.clientSecretRef.key };
  return Object.freeze({
    endpoint: introspection.endpoint,
    clientId: introspection.clientId,
    clientSecret: Object.freeze(clientSecret),
    cacheSeconds: introspection.cacheSeconds ?? POLICY_DEFAULTS.introspectionCacheSeconds,
    // The namespace too: two namespaces' secrets for one client are two identities.
    endpointId: JSON.stringify([issuer, introspection.endpoint ?? null, introspection.clientId, clientSecret]),
  });
}
