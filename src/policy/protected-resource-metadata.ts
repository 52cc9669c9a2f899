/**
 * The RFC 9728 protected resource metadata document of a policy
 * (docs/contract.md §2.9). `resource` is exactly the configured identifier;
 * arrays are never empty (RFC 9728 §2); `offline_access` is never advertised
 * (MCP authorization).
 */
import { advertisedScopes } from '../core/scopes.ts';
import type { AudiencePolicySpec } from './policy-schema.ts';

export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: string[];
  bearer_methods_supported: ['header'];
  scopes_supported?: string[];
  resource_name?: string;
  resource_documentation?: string;
}

export function protectedResourceMetadata(spec: AudiencePolicySpec): ProtectedResourceMetadata {
  const document: ProtectedResourceMetadata = {
    resource: spec.resource,
    authorization_servers: spec.issuers.map((issuer) => issuer.issuer),
    bearer_methods_supported: ['header'],
  };
  const scopes = advertisedScopes(spec.resourceMetadata?.scopesSupported ?? spec.requiredScopes ?? []);
  if (scopes.length > 0) document.scopes_supported = scopes;
  const { resourceName, resourceDocumentation } = spec.resourceMetadata ?? {};
  if (resourceName !== undefined) document.resource_name = resourceName;
  if (resourceDocumentation !== undefined) document.resource_documentation = resourceDocumentation;
  return document;
}
