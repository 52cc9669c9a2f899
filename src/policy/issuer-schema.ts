/**
 * The schema of one trusted authorization server of an AudiencePolicy
 * (`spec.issuers[]`): its issuer, key set, algorithms and token profile, and
 * optionally how its opaque tokens are introspected.
 */
import { Type } from '@sinclair/typebox';
import { ASYMMETRIC_ALGORITHMS, DEFAULT_ALGORITHMS } from '../core/algorithms.ts';
import { IntrospectionSchema } from './introspection-schema.ts';
import { uri } from './policy-field-schemas.ts';

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
  introspection: Type.Optional(IntrospectionSchema),
}, { additionalProperties: false, description: 'A trusted authorization server.' });
