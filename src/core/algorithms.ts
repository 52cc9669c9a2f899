/**
 * Asymmetric JWS algorithms from the IANA JOSE registry that a policy may allow
 * (SPEC.md 1.2; RFC 8725 §3.1-3.2). `none` and the HMAC family are never
 * accepted: a resource server that knows a shared secret could mint tokens.
 */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256', 'RS384', 'RS512',
  'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512',
  'EdDSA', 'Ed25519',
] as const;

export const DEFAULT_ALGORITHMS: readonly string[] = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'];

const ALLOWED = new Set<string>(ASYMMETRIC_ALGORITHMS);

export function isAsymmetricAlgorithm(alg: unknown): alg is string {
  return typeof alg === 'string' && ALLOWED.has(alg);
}
