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
import { typeAccepted } from './token-profile.ts';
import type { RuntimeIssuer } from './runtime-policy.ts';

export type HeaderVerdict = 'ok' | Extract<Reason, 'malformed_token' | 'unsupported_token_type' | 'disallowed_algorithm'>;

/**
 * `candidates` is the token's own issuer when the policy trusts it, else every
 * issuer of the policy. Allow-lists never hold `none` or HMAC algorithms.
 */
export function checkHeader(header: Readonly<Record<string, unknown>>, candidates: readonly RuntimeIssuer[]): HeaderVerdict {
  const { alg, typ, kid } = header;
  if (typeof alg !== 'string' || (kid !== undefined && typeof kid !== 'string')) return 'malformed_token';
  if (!candidates.some((issuer) => typeAccepted(issuer.profile, typ))) return 'unsupported_token_type';
  return candidates.some((issuer) => issuer.algorithms.includes(alg)) ? 'ok' : 'disallowed_algorithm';
}
