/**
 * Public JWKs of DPoP proofs (RFC 9449 §4.2, RFC 7517, RFC 7638): the key as
 * node:crypto reads it, refused when it carries any private or symmetric
 * member, and its RFC 7638 SHA-256 thumbprint — what a DPoP-bound token's
 * `cnf.jkt` names.
 */
import { createPublicKey, hash, type KeyObject } from 'node:crypto';

/** Members that make a JWK private or symmetric (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'] as const;

/** The members a thumbprint covers, per key type, in lexicographic order (RFC 7638 §3.2). */
const THUMBPRINT_MEMBERS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  RSA: ['e', 'kty', 'n'],
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
});

export interface ProofKey {
  readonly key: KeyObject;
  /** base64url SHA-256 RFC 7638 thumbprint. */
  readonly thumbprint: string;
}

/** The public key and thumbprint of `jwk`, or undefined for anything that is not a plain public RSA, EC or OKP key. */
export function publicProofKey(jwk: unknown): ProofKey | undefined {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) return undefined;
  const members = jwk as Readonly<Record<string, unknown>>;
  if (PRIVATE_MEMBERS.some((member) => Object.hasOwn(members, member))) return undefined;
  const kty = members.kty;
  const required = typeof kty === 'string' && Object.hasOwn(THUMBPRINT_MEMBERS, kty) ? THUMBPRINT_MEMBERS[kty] : undefined;
  if (required === undefined) return undefined;
  const canonical: Record<string, string> = {};
  for (const member of required) {
    const value = members[member];
    if (typeof value !== 'string' || value === '') return undefined;
    canonical[member] = value;
  }
  let key: KeyObject;
  try {
    // Only the thumbprint's members: `alg`, `use`, `key_ops` and the like never change what the key is.
    key = createPublicKey({ key: canonical, format: 'jwk' });
  } catch {
    return undefined;
  }
  if (key.type !== 'public') return undefined;
  // Insertion order is the lexicographic order of `required`, so this is the RFC 7638 serialisation.
  return { key, thumbprint: hash('sha256', JSON.stringify(canonical), 'base64url') };
}
