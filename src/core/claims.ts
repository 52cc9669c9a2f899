/**
 * Time and presence rules for verified claims (docs/contract.md §2.1 step 7,
 * RFC 7519 §4.1, RFC 9068 §2.2 and §4 step 6). All claim rules live in this
 * file.
 *
 * `now` and the claims are seconds since the epoch. `skew` widens every window
 * by the same amount in the token's favour.
 */
import type { Reason } from './reasons.ts';
import { looksLikeIdToken, requiredClaims, type TokenProfile } from './token-profile.ts';

export type ClaimsVerdict =
  | 'ok'
  | Extract<Reason, 'expired' | 'not_yet_valid' | 'missing_claim' | 'id_token_presented' | 'unsupported_token_type'>;

const STRING_CLAIMS = ['iss', 'sub', 'client_id', 'jti'] as const;
const NUMERIC_DATES = ['exp', 'nbf', 'iat'] as const;

function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

export function checkClaims(
  payload: Readonly<Record<string, unknown>>,
  profile: TokenProfile,
  now: number,
  skew: number,
): ClaimsVerdict {
  for (const claim of requiredClaims(profile)) {
    if (payload[claim] === undefined || payload[claim] === null) return 'missing_claim';
  }
  for (const claim of STRING_CLAIMS) {
    const value = payload[claim];
    if (value !== undefined && typeof value !== 'string') return 'missing_claim';
  }
  for (const claim of NUMERIC_DATES) {
    const value = payload[claim];
    if (value !== undefined && !isNumericDate(value)) return 'missing_claim';
  }
  if (profile === 'jwt' && looksLikeIdToken(payload)) return 'id_token_presented';
  // RFC 9449 / RFC 8705: a sender-constrained token is only safe where the binding
  // is checked; this service does not check it, so it refuses such tokens.
  if (payload.cnf !== undefined) return 'unsupported_token_type';

  const { exp, nbf, iat } = payload as { exp: number; nbf?: number; iat?: number };
  if (now >= exp + skew) return 'expired';
  if (nbf !== undefined && nbf > now + skew) return 'not_yet_valid';
  if (iat !== undefined && iat > now + skew) return 'not_yet_valid';
  return 'ok';
}
