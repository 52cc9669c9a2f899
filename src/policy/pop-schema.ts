/**
 * The schema of `spec.proofOfPossession`: which sender-constrained tokens a
 * policy accepts — DPoP-bound (RFC 9449, `cnf.jkt`) and certificate-bound
 * (RFC 8705, `cnf["x5t#S256"]`) — and the DPoP proof rules.
 */
import { Type, type Static } from '@sinclair/typebox';
import { ASYMMETRIC_ALGORITHMS } from '../core/algorithms.ts';

function bindingMode(description: string) {
  return Type.Optional(Type.Union([Type.Literal('Allowed'), Type.Literal('Required'), Type.Literal('Disabled')], {
    default: 'Allowed', description,
  }));
}

export const ProofOfPossessionSchema = Type.Object({
  dpop: bindingMode(
    'DPoP-bound tokens (`cnf.jkt`, sent as `Authorization: DPoP` with one `DPoP` proof header). Allowed: checked when the token ' +
    'is bound, Bearer tokens still accepted. Required: only DPoP-bound tokens. Disabled: DPoP-bound tokens are refused.',
  ),
  mtls: bindingMode(
    'Certificate-bound tokens (`cnf["x5t#S256"]`, checked against the client certificate the proxy forwards). Allowed: checked ' +
    'when the token is bound. Required: only certificate-bound tokens. Disabled: certificate-bound tokens are refused.',
  ),
  proofMaxAgeSeconds: Type.Optional(Type.Integer({
    minimum: 1, maximum: 3600, default: 300,
    description: 'A DPoP proof\'s `iat` may be at most this many seconds old (and at most clockSkewSeconds ahead); ' +
      'each replica remembers accepted proofs this long to refuse replays.',
  })),
  dpopAlgorithms: Type.Optional(Type.Array(Type.Union(
    ASYMMETRIC_ALGORITHMS.map((alg) => Type.Literal(alg)),
    { description: 'A JWS algorithm name from the IANA JOSE registry.' },
  ), {
    minItems: 1, maxItems: ASYMMETRIC_ALGORITHMS.length, uniqueItems: true,
    description: 'Accepted DPoP proof algorithms, asymmetric only. Default: the `algorithms` of the token\'s issuer.',
  })),
}, { additionalProperties: false, description: 'Sender-constrained access tokens: DPoP (RFC 9449) and mTLS (RFC 8705).' });

export type ProofOfPossessionSpec = Static<typeof ProofOfPossessionSchema>;
