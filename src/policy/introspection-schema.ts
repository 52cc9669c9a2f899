/**
 * The schema of `spec.issuers[].introspection`: this issuer's opaque access
 * tokens are checked at its RFC 7662 introspection endpoint, with this
 * service's own client credentials there (client_secret_basic).
 */
import { Type, type Static } from '@sinclair/typebox';
import { uri } from './policy-field-schemas.ts';
import { SecretKeyReferenceSchema } from './upstream-schema.ts';

/** Longest time an active introspection answer may be reused (it is never reused past the token's `exp`). */
export const MAX_INTROSPECTION_CACHE_SECONDS = 3600;

export const IntrospectionSchema = Type.Object({
  endpoint: Type.Optional(uri(
    'RFC 7662 introspection endpoint: an absolute https URI (http only for loopback hosts). ' +
    'When absent it is discovered: `introspection_endpoint` of the issuer\'s metadata (RFC 8414, then OpenID Connect discovery).',
  )),
  clientId: Type.String({ minLength: 1, maxLength: 256, description: 'Client identifier of this service at the introspection endpoint.' }),
  clientSecretRef: Type.Optional(SecretKeyReferenceSchema),
  clientSecretFile: Type.Optional(Type.String({
    minLength: 2, maxLength: 4096, pattern: '^/',
    description: 'Absolute path of a file holding the introspection client secret (any secret source). ' +
      'Exactly one of clientSecretRef and clientSecretFile.',
  })),
  cacheSeconds: Type.Optional(Type.Integer({
    minimum: 0, maximum: MAX_INTROSPECTION_CACHE_SECONDS, default: 60,
    description: 'How long an active answer is reused, never past the token\'s exp (0: not reused); ' +
      'inactive answers are reused for 5 seconds. A revoked token may be accepted for up to this long.',
  })),
}, {
  additionalProperties: false,
  description: 'Opaque (non-JWT) access tokens of this issuer are checked by RFC 7662 token introspection. ' +
    'At most one issuer of a policy may set it: an opaque token is never sent to more than one issuer.',
});

export type IntrospectionSpec = Static<typeof IntrospectionSchema>;
