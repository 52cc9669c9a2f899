/**
 * The asymmetric JWS algorithms from the IANA JOSE registry that a policy may
 * allow (docs/contract.md §1.3; RFC 8725 §3.1-3.2), and the one table of the
 * key each may be used with. `none` and the HMAC family are never accepted: a
 * resource server that knows a shared secret could mint tokens.
 */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256', 'RS384', 'RS512',
  'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512',
  'EdDSA', 'Ed25519',
] as const;

export type AsymmetricAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];

export const DEFAULT_ALGORITHMS: readonly string[] = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'];

/** The key an algorithm may be used with, in JWK terms (RFC 7518 §3 and §6, RFC 8037 §2-3.1). */
export interface AlgorithmKey {
  readonly kty: 'RSA' | 'EC' | 'OKP';
  /** The `crv` values allowed; empty for RSA (no curve). */
  readonly curves: readonly string[];
}

const RSA: AlgorithmKey = { kty: 'RSA', curves: [] };

/**
 * One key family per algorithm (RFC 8725 §3.1). The JWKS side (src/keys/jwk-selection.ts)
 * and the signature check (src/core/signature.ts) both read this table.
 */
export const ALGORITHM_KEYS: Readonly<Record<AsymmetricAlgorithm, AlgorithmKey>> = Object.freeze({
  RS256: RSA, RS384: RSA, RS512: RSA,
  PS256: RSA, PS384: RSA, PS512: RSA,
  ES256: { kty: 'EC', curves: ['P-256'] },
  ES384: { kty: 'EC', curves: ['P-384'] },
  ES512: { kty: 'EC', curves: ['P-521'] },
  EdDSA: { kty: 'OKP', curves: ['Ed25519', 'Ed448'] },
  Ed25519: { kty: 'OKP', curves: ['Ed25519'] },
});

/** The table's entry for `alg`, or `undefined` for any name outside it (an own property only). */
export function algorithmKey(alg: string): AlgorithmKey | undefined {
  return Object.hasOwn(ALGORITHM_KEYS, alg) ? ALGORITHM_KEYS[alg as AsymmetricAlgorithm] : undefined;
}
