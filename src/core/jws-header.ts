/**
 * Protected-header rules (docs/contract.md §2.1 step 4; RFC 9068 §4 step 1,
 * RFC 8725 §3.1 and §3.11). When the token's issuer is one of the policy's, its
 * own profile and allow-list apply; otherwise (step 5 will refuse the issuer)
 * `typ` and `alg` must fit at least one of the policy's issuers, so the first
 * failing step is still the one reported (ADR 0004). `jku`, `x5u`, `jwk` and
 * `x5c` are not read at all: keys come only from the issuer's configured key
 * set.
 */
import type { Reason } from './reasons.ts';
import { mediaType, typeAccepted } from './token-profile.ts';
import type { RuntimeIssuer } from './runtime-policy.ts';

export type HeaderRefusal = Extract<Reason, 'malformed_token' | 'unsupported_token_type' | 'disallowed_algorithm'>;
export type HeaderVerdict = 'ok' | HeaderRefusal;

/** A header that passed: the fields that choose the key (step 6) are typed. */
export type CheckedHeader = Readonly<Record<string, unknown>> & {
  readonly alg: string;
  readonly kid?: string | undefined;
};

/**
 * The header itself, typed, when it passes, else the reason. `candidates` is
 * the token's own issuer when the policy trusts it, else every issuer of the
 * policy. Allow-lists never hold `none` or HMAC algorithms.
 */
export function readHeader(header: Readonly<Record<string, unknown>>, candidates: readonly RuntimeIssuer[]): CheckedHeader | HeaderRefusal {
  const { alg, typ, kid } = header;
  if (typeof alg !== 'string' || (kid !== undefined && typeof kid !== 'string')) return 'malformed_token';
  if (!candidates.some((issuer) => typeAccepted(issuer.profile, typ))) return 'unsupported_token_type';
  // The checks above are what the type says: `alg` a string, `kid` absent or a string.
  return candidates.some((issuer) => issuer.algorithms.includes(alg)) ? header as CheckedHeader : 'disallowed_algorithm';
}

/** `readHeader` as a verdict. */
export function checkHeader(header: Readonly<Record<string, unknown>>, candidates: readonly RuntimeIssuer[]): HeaderVerdict {
  const read = readHeader(header, candidates);
  return typeof read === 'string' ? read : 'ok';
}

/** What a deny log may say about a token's `typ`: a category, never the value. */
export type TypCategory = 'at+jwt' | 'JWT' | 'absent' | 'other';

/** `typ` compared as a media type (case-insensitive, `application/` optional), as the profiles compare it. */
export function typCategory(typ: unknown): TypCategory {
  if (typ === undefined) return 'absent';
  if (typeof typ !== 'string') return 'other';
  const type = mediaType(typ);
  return type === 'at+jwt' ? 'at+jwt' : type === 'jwt' ? 'JWT' : 'other';
}
