/**
 * Choosing a verification key from an issuer's JWKS (RFC 7517, RFC 8725 §3.1).
 * `kid` is untrusted input, used only as a lookup key. A key qualifies when its
 * type and curve fit the token's `alg`, its `alg` (if any) equals it, and its
 * `use`/`key_ops` (if any) allow signature verification. Without a `kid`, the
 * set must offer exactly one qualifying key.
 */
import type { JsonWebKey } from 'node:crypto';

export type PublicJWK = JsonWebKey & { kid?: string; alg?: string; use?: string; key_ops?: string[] };

function fitsAlgorithm(jwk: PublicJWK, alg: string): boolean {
  switch (alg) {
    case 'RS256': case 'RS384': case 'RS512':
    case 'PS256': case 'PS384': case 'PS512':
      return jwk.kty === 'RSA';
    case 'ES256': return jwk.kty === 'EC' && jwk.crv === 'P-256';
    case 'ES384': return jwk.kty === 'EC' && jwk.crv === 'P-384';
    case 'ES512': return jwk.kty === 'EC' && jwk.crv === 'P-521';
    case 'EdDSA': return jwk.kty === 'OKP' && (jwk.crv === 'Ed25519' || jwk.crv === 'Ed448');
    case 'Ed25519': return jwk.kty === 'OKP' && jwk.crv === 'Ed25519';
    default: return false;
  }
}

function qualifies(jwk: PublicJWK, alg: string): boolean {
  if (jwk.alg !== undefined && jwk.alg !== alg) return false;
  if (jwk.use !== undefined && jwk.use !== 'sig') return false;
  if (jwk.key_ops !== undefined && !jwk.key_ops.includes('verify')) return false;
  return fitsAlgorithm(jwk, alg);
}

export function selectJWK(keys: readonly PublicJWK[], kid: string | undefined, alg: string): PublicJWK | undefined {
  const candidates = keys.filter((jwk) => (kid === undefined || jwk.kid === kid) && qualifies(jwk, alg));
  if (kid === undefined) return candidates.length === 1 ? candidates[0] : undefined;
  return candidates[0];
}

export class TooManyKeysError extends Error {
  override readonly name = 'TooManyKeysError';
}

/** The usable public keys of a JWKS document; private members are never kept. */
export function publicKeys(jwks: Record<string, unknown>, maxKeys: number): PublicJWK[] {
  const { keys } = jwks;
  if (!Array.isArray(keys)) throw new Error('JWKS has no "keys" array');
  if (keys.length > maxKeys) throw new TooManyKeysError(`JWKS has more than ${String(maxKeys)} keys`);
  const result: PublicJWK[] = [];
  for (const key of keys as unknown[]) {
    if (typeof key !== 'object' || key === null) continue;
    const jwk = key as PublicJWK;
    if (typeof jwk.kty !== 'string' || (jwk.kid !== undefined && typeof jwk.kid !== 'string')) continue;
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, oth: _oth, k: _k, ...publicPart } = jwk as PublicJWK & { oth?: unknown };
    if (jwk.kty === 'oct') continue; // symmetric keys are never used (RFC 8725 §3.2)
    result.push(publicPart);
  }
  return result;
}
