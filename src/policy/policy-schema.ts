/**
 * The one schema source for AudiencePolicy (docs/contract.md §1.2). From it
 * come the TypeScript types (`Static`), the in-process validator
 * (src/policy/validate-policy.ts), the CustomResourceDefinition
 * (src/policy/crd.ts) and the chart's values schema
 * (src/policy/policy-json-schema.ts). Every field carries the description users
 * see in `kubectl explain` and in the README's field reference (whose rows must
 * contain them: test/docs/readme-field-reference.test.ts); a closing
 * `Default: …` sentence states a default the API server cannot fill in. What a
 * schema cannot say (URI grammar, exactly-one-of, unique issuers) is the rule
 * table of src/policy/policy-rules.ts, which feeds the same two consumers.
 *
 * Defaults are the schema's `default:` keywords, nowhere else: the CRD carries
 * them (the API server fills them in), and compilation reads them through
 * POLICY_DEFAULTS (src/policy/policy-defaults.ts).
 */
import { Type, type Static } from '@sinclair/typebox';
import { IssuerSchema } from './issuer-schema.ts';
import { McpSchema } from './mcp-schema.ts';
import { LIMITS, scopeList, uri } from './policy-field-schemas.ts';
import { API_GROUP, API_VERSION, KIND } from './policy-resource-names.ts';
import { ProofOfPossessionSchema } from './pop-schema.ts';
import { UpstreamSchema } from './upstream-schema.ts';

// A host name, or `*.` and a domain for any subdomain.
const HOST_PATTERN = '^(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$';

export const ResourceMetadataSchema = Type.Object({
  resourceName: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'RFC 9728 `resource_name`.' })),
  resourceDocumentation: Type.Optional(uri('RFC 9728 `resource_documentation`: an absolute https URI.')),
  scopesSupported: Type.Optional(scopeList(
    'RFC 9728 `scopes_supported`. `offline_access` is never advertised. Default: `spec.requiredScopes`.',
  )),
}, { additionalProperties: false, description: 'Extra fields of the RFC 9728 protected resource metadata document.' });

export const PolicySpecSchema = Type.Object({
  resource: uri(
    'Canonical resource identifier (RFC 8707 / RFC 9728 `resource`): an absolute https URI (http only for loopback hosts) ' +
    'without query, fragment or userinfo. Always an accepted audience.',
  ),
  audiences: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: LIMITS.uriLength, description: 'An accepted `aud` value.' }), {
    maxItems: LIMITS.audiences,
    description: 'Further accepted `aud` values, compared by the audience rule ' +
      '(exact, with scheme/host case and default port folded for http(s) URIs).',
  })),
  hosts: Type.Optional(Type.Array(Type.String({
    minLength: 1, maxLength: 253, pattern: HOST_PATTERN, description: 'A host name, or `*.` and a domain for any subdomain.',
  }), {
    minItems: 1, maxItems: LIMITS.hosts,
    description: 'Request hosts (:authority without port) this policy protects; `*.example.com` matches any subdomain. ' +
      'Default: the host of `resource`.',
  })),
  pathPrefixes: Type.Optional(Type.Array(Type.String({
    minLength: 1, maxLength: 1024, pattern: '^/[^?#]*$', description: 'An absolute path without query or fragment.',
  }), {
    minItems: 1, maxItems: LIMITS.pathPrefixes,
    description: 'Path prefixes matched at segment boundaries (`/mcp` covers `/mcp` and `/mcp/x`, not `/mcpx`). ' +
      'Default: the path of `resource` (`/` when empty).',
  })),
  issuers: Type.Array(IssuerSchema, {
    minItems: 1, maxItems: LIMITS.issuers,
    description: 'Authorization servers whose tokens are accepted; a token is verified only with its own issuer\'s keys.',
  }),
  requiredScopes: Type.Optional(scopeList('Scopes that must all be granted (`scope` or `scp`), else 403 insufficient_scope.')),
  // A map key can carry no schema in a CRD: its length is a rule (src/policy/policy-rules.ts).
  scopeImplications: Type.Optional(Type.Record(Type.String(), scopeList('Scopes implied by the key scope.'), {
    maxProperties: LIMITS.scopes,
    description: 'A broader scope implies narrower ones, e.g. `mcp:admin: [mcp:tools]`; applied transitively. ' +
      `At most ${String(LIMITS.scopes)} keys of 1 to ${String(LIMITS.scopeLength)} characters.`,
  })),
  mode: Type.Optional(Type.Union([Type.Literal('Strict'), Type.Literal('Permissive')], {
    default: 'Strict',
    description: 'Strict: every failure denies. Permissive: audience failures are logged and counted as not enforced ' +
      'and the request is allowed (Authorization still removed); all other checks still deny.',
  })),
  clockSkewSeconds: Type.Optional(Type.Integer({
    minimum: 0, maximum: 300, default: 60, description: 'Leeway for exp, nbf and iat, in seconds.',
  })),
  resourceMetadata: Type.Optional(ResourceMetadataSchema),
  upstream: Type.Optional(UpstreamSchema),
  mcp: Type.Optional(McpSchema),
  proofOfPossession: Type.Optional(ProofOfPossessionSchema),
}, { additionalProperties: false, description: 'What the protected service accepts.' });

export const PolicyMetadataSchema = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 253, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$' }),
  namespace: Type.Optional(Type.String({ minLength: 1, maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' })),
  creationTimestamp: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  generation: Type.Optional(Type.Integer({ minimum: 0 })),
}, { additionalProperties: true });

export const AudiencePolicySchema = Type.Object({
  apiVersion: Type.Literal(`${API_GROUP}/${API_VERSION}`),
  kind: Type.Literal(KIND),
  metadata: PolicyMetadataSchema,
  spec: PolicySpecSchema,
  status: Type.Optional(Type.Unknown()),
}, { additionalProperties: false });

export type AudiencePolicyDocument = Static<typeof AudiencePolicySchema>;
export type AudiencePolicySpec = Static<typeof PolicySpecSchema>;
