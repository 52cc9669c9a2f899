/**
 * The schema of `spec.upstream`: how the service obtains the upstream's own
 * token (RFC 8693 token exchange or client credentials) and its client secret.
 */
import { Type, type Static } from '@sinclair/typebox';
import { LIMITS, scopeList, uri } from './policy-field-schemas.ts';

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

export type UpstreamSpec = Static<typeof UpstreamSchema>;
