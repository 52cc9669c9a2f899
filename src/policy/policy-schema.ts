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
 * POLICY_DEFAULTS (src/policy/compile-policy.ts).
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ASYMMETRIC_ALGORITHMS, DEFAULT_ALGORITHMS } from '../core/algorithms.ts';

export const API_GROUP = 'audienceguard.dev';
export const API_VERSION = 'v1alpha1';
export const KIND = 'AudiencePolicy';
/** The resource's names in the API (`/apis/GROUP/VERSION/…/audiencepolicies`, RBAC rules, `kubectl get ap`). */
export const PLURAL = 'audiencepolicies';
export const SINGULAR = 'audiencepolicy';
export const SHORT_NAMES: readonly string[] = ['audpol'];

export const LIMITS = { issuers: 8, hosts: 32, pathPrefixes: 32, audiences: 64, scopes: 64, scopeLength: 256, uriLength: 2048 } as const;

const uri = (description: string) => Type.String({ minLength: 1, maxLength: LIMITS.uriLength, description });
// RFC 6749 §3.3 scope-token: %x21 / %x23-5B / %x5D-7E
const scopeToken = Type.String({
  minLength: 1, maxLength: LIMITS.scopeLength, pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$',
  description: 'An OAuth scope token (RFC 6749 §3.3).',
});
const scopeList = (description: string) => Type.Array(scopeToken, { maxItems: LIMITS.scopes, description });
// A host name, or `*.` and a domain for any subdomain.
const HOST_PATTERN = '^(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$';

export const IssuerSchema = Type.Object({
  issuer: uri(
    'Exact `iss` value of tokens from this authorization server: an absolute https URI (http only for loopback hosts), ' +
    'no query, fragment or userinfo.',
  ),
  jwksUri: Type.Optional(uri(
    'JWKS URI of the issuer. When absent it is discovered: RFC 8414 authorization server metadata first, then OpenID Connect discovery.',
  )),
  algorithms: Type.Optional(Type.Array(Type.Union(
    ASYMMETRIC_ALGORITHMS.map((alg) => Type.Literal(alg)),
    { description: 'A JWS algorithm name from the IANA JOSE registry.' },
  ), {
    minItems: 1, maxItems: ASYMMETRIC_ALGORITHMS.length, uniqueItems: true,
    description: `Accepted JWS algorithms. Asymmetric only: none and HS* cannot be configured. Default: ${DEFAULT_ALGORITHMS.join(', ')}.`,
  })),
  profile: Type.Optional(Type.Union([Type.Literal('rfc9068'), Type.Literal('jwt')], {
    default: 'rfc9068',
    description: 'rfc9068: typ at+jwt and the RFC 9068 claims (iss exp aud sub client_id iat jti) are required. ' +
      'jwt: for issuers without full RFC 9068 support; typ JWT, at+jwt or absent, only iss exp aud required, ' +
      'a token with nonce or at_hash (an ID token\'s shape) is refused.',
  })),
}, { additionalProperties: false, description: 'A trusted authorization server.' });

export const ResourceMetadataSchema = Type.Object({
  resourceName: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'RFC 9728 `resource_name`.' })),
  resourceDocumentation: Type.Optional(uri('RFC 9728 `resource_documentation`: an absolute https URI.')),
  scopesSupported: Type.Optional(scopeList(
    'RFC 9728 `scopes_supported`. `offline_access` is never advertised. Default: `spec.requiredScopes`.',
  )),
}, { additionalProperties: false, description: 'Extra fields of the RFC 9728 protected resource metadata document.' });

export const SecretKeyReferenceSchema = Type.Object({
  name: Type.String({
    minLength: 1, maxLength: 253, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
    description: 'Name of a Secret in the policy\'s namespace.',
  }),
  key: Type.String({ minLength: 1, maxLength: 253, pattern: '^[-._a-zA-Z0-9]+$', description: 'Key of the client secret in that Secret.' }),
}, { additionalProperties: false, description: 'A key of a Kubernetes Secret in the policy\'s namespace.' });

export const UpstreamGrantSchema = Type.Object({
  tokenEndpoint: Type.Optional(uri(
    'Token endpoint of the authorization server that issues upstream tokens: an absolute https URI (http only for loopback hosts). ' +
    'Exactly one of tokenEndpoint and issuer.',
  )),
  issuer: Type.Optional(uri(
    'Issuer whose token endpoint is discovered (RFC 8414, then OpenID Connect discovery). Exactly one of tokenEndpoint and issuer.',
  )),
  audience: Type.Optional(Type.String({
    minLength: 1, maxLength: LIMITS.uriLength, description: 'RFC 8693 `audience` of the upstream token.',
  })),
  resource: Type.Optional(uri('RFC 8707 `resource` of the upstream token: the upstream API.')),
  scopes: Type.Optional(scopeList('Scopes requested for the upstream token.')),
  clientId: Type.String({ minLength: 1, maxLength: 256, description: 'Client identifier of this service at the token endpoint.' }),
  clientSecretRef: Type.Optional(SecretKeyReferenceSchema),
  clientSecretFile: Type.Optional(Type.String({
    minLength: 2, maxLength: 4096, pattern: '^/',
    description: 'Absolute path of a file holding the client secret (any secret source). ' +
      'Exactly one of clientSecretRef and clientSecretFile.',
  })),
}, {
  additionalProperties: false, description: 'How to obtain an upstream token, and with which client credentials (client_secret_basic).',
});

export const UpstreamSchema = Type.Object({
  tokenExchange: Type.Optional(Type.Composite([UpstreamGrantSchema], {
    additionalProperties: false,
    description: 'RFC 8693 token exchange: the validated client token is the subject_token; the upstream gets a token issued for it.',
  })),
  clientCredentials: Type.Optional(Type.Composite([UpstreamGrantSchema], {
    additionalProperties: false,
    description: 'RFC 6749 §4.4 client credentials with an RFC 8707 resource: a token for this service itself.',
  })),
  header: Type.Optional(Type.String({
    minLength: 1, maxLength: 128, pattern: '^[a-z0-9][-a-z0-9_]*$', default: 'authorization',
    description: 'Request header that carries `Bearer <upstream token>` to the upstream, set with overwrite.',
  })),
}, {
  additionalProperties: false,
  description: 'Gives the upstream its own token instead of nothing; the client\'s token is never passed on. ' +
    'Exactly one of tokenExchange and clientCredentials.',
});

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
export type UpstreamSpec = Static<typeof UpstreamSchema>;
/** The `default:` of an optional field's schema, typed as the field. */
function defaultOf<T extends TSchema>(schema: T): Static<T> {
  const value = schema.default as Static<T> | undefined;
  if (value === undefined) throw new Error('the schema gives this field no default');
  return value;
}

/**
 * What compilation puts in place of an absent field. Each value is the
 * schema's `default:` (the CRD carries the same), except `algorithms`: the
 * algorithm table's list (src/core/algorithms.ts), kept out of the CRD so that
 * the API server does not copy it into each object, where a later change of
 * the list would never reach.
 */
export const POLICY_DEFAULTS = Object.freeze({
  mode: defaultOf(PolicySpecSchema.properties.mode),
  clockSkewSeconds: defaultOf(PolicySpecSchema.properties.clockSkewSeconds),
  profile: defaultOf(IssuerSchema.properties.profile),
  algorithms: DEFAULT_ALGORITHMS,
  upstreamHeader: defaultOf(UpstreamSchema.properties.header),
});
