/**
 * Time and presence rules for verified claims (docs/contract.md §2.1 step 7,
 * RFC 7519 §4.1, RFC 9068 §2.2 and §4 step 6). All claim rules live in this
 * file.
 *
 * `now` and the claims are seconds since the epoch. `skew` widens every window
 * by the same amount in the token's favour.
 */
import type { Reason } from './reasons.ts';
import { looksLikeIdToken, requiredClaims, type RequiredClaim, type TokenProfile } from './token-profile.ts';

export type ClaimsRefusal = Extract<
  Reason,
  'expired' | 'not_yet_valid' | 'missing_claim' | 'id_token_presented' | 'unsupported_token_type'
>;
export type ClaimsVerdict = 'ok' | ClaimsRefusal;

const STRING_CLAIMS = ['iss', 'sub', 'client_id', 'jti'] as const;
const NUMERIC_DATES = ['exp', 'nbf', 'iat'] as const;

/**
 * The claims a `missing_claim` deny can name: a closed set of names, never a
 * value (the deny log's `missing_claim` field). `aud`, `scope` and `scp` are
 * judged later in the order (src/core/audience.ts, src/core/scopes.ts).
 */
export type ClaimName = RequiredClaim | (typeof STRING_CLAIMS)[number] | (typeof NUMERIC_DATES)[number] | 'scope' | 'scp';

function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/**
 * The first claim that makes `checkClaims` answer `missing_claim`: a claim the
 * profile requires that is absent or null, then a string claim or a date of
 * the wrong type. Undefined when every one is present and well-typed.
 */
export function claimAtFault(payload: Readonly<Record<string, unknown>>, profile: TokenProfile): ClaimName | undefined {
  for (const claim of requiredClaims(profile)) {
    if (payload[claim] === undefined || payload[claim] === null) return claim;
  }
  for (const claim of STRING_CLAIMS) {
    const value = payload[claim];
    if (value !== undefined && typeof value !== 'string') return claim;
  }
  for (const claim of NUMERIC_DATES) {
    const value = payload[claim];
    if (value !== undefined && !isNumericDate(value)) return claim;
  }
  return undefined;
}

/** `validUntil` as a verdict. */
export function checkClaims(payload: Readonly<Record<string, unknown>>, profile: TokenProfile, now: number, skew: number): ClaimsVerdict {
  const valid = validUntil(payload, profile, now, skew);
  return typeof valid === 'number' ? 'ok' : valid;
}

/** The token's `exp` (seconds; every profile requires it) when the claims pass, else the reason. */
export function validUntil(
  payload: Readonly<Record<string, unknown>>,
  profile: TokenProfile,
  now: number,
  skew: number,
): number | ClaimsRefusal {
  if (claimAtFault(payload, profile) !== undefined) return 'missing_claim';
  if (profile === 'jwt' && looksLikeIdToken(payload)) return 'id_token_presented';
  // `cnf` (RFC 9449, RFC 8705) is judged by the binding step (src/core/binding-step.ts), for every kind of token.

  // Every profile requires `exp` (token-profile.ts); were one not to, its tokens would be refused here, never unbounded.
  const { exp } = payload;
  if (!isNumericDate(exp)) return 'missing_claim';
  const { nbf, iat } = payload as { nbf?: number; iat?: number };
  if (now >= exp + skew) return 'expired';
  if (nbf !== undefined && nbf > now + skew) return 'not_yet_valid';
  if (iat !== undefined && iat > now + skew) return 'not_yet_valid';
  return exp;
}
