/**
 * Choosing a verification key from an issuer's JWKS (RFC 7517, RFC 8725 §3.1).
 * `kid` is untrusted input, used only as a lookup key. A key qualifies when its
 * type and curve fit the token's `alg`, its `alg` (if any) equals it, and its
 * `use`/`key_ops` (if any) allow signature verification. Without a `kid`, the
 * set must offer exactly one qualifying key.
 */
import type { JsonWebKey } from 'node:crypto';
import { algorithmKey } from '../core/algorithms.ts';

export type PublicJWK = JsonWebKey & { kid?: string; alg?: string; use?: string; key_ops?: string[] };

/** Type and curve per algorithm come from the core's one table (src/core/algorithms.ts). */
function fitsAlgorithm(jwk: PublicJWK, alg: string): boolean {
  const key = algorithmKey(alg);
  if (key === undefined || jwk.kty !== key.kty) return false;
  return key.curves.length === 0 || (typeof jwk.crv === 'string' && key.curves.includes(jwk.crv));
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
