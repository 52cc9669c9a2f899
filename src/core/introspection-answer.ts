/**
 * Judging an RFC 7662 introspection answer as the credential step judges a
 * JWT's claims (README "Opaque tokens"): the answer must say `active: true`
 * (the boolean); a `token_type` must be an access-token type; an `iss` must
 * be the issuer asked; `exp` is required and, like `nbf` and `iat`, compared
 * with the clock skew; string members must be strings. `aud`, scopes and any
 * `cnf` binding are judged later in the order, from the returned claims, as
 * for every token kind. RFC 9068's `sub`/`jti`/`iat` requirements are a JWT
 * profile's and do not apply here.
 *
 * Refusals reuse the JWT reasons: an inactive token (expired, revoked or
 * never issued: RFC 7662 §2.2 does not say which) is `expired`.
 */
import type { RuntimeIssuer, RuntimePolicy } from './runtime-policy.ts';
import type { TokenRefusal, TokenVerification } from './token-verifier.ts';
import type { DenyDetail } from './decision.ts';

/** `token_type` values of access tokens (RFC 6750, RFC 9449, RFC 8693 `N_A`), compared case-insensitively. */
const ACCESS_TOKEN_TYPES = new Set(['bearer', 'dpop', 'n_a']);
const STRING_MEMBERS = ['iss', 'sub', 'client_id', 'jti'] as const;
const DATE_MEMBERS = ['exp', 'nbf', 'iat'] as const;

function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

export function judgeAnswer(
  answer: Readonly<Record<string, unknown>>, issuer: RuntimeIssuer, policy: RuntimePolicy, now: number, endpointId: string,
): TokenVerification {
  if (answer.active !== true) return refusal('expired');
  const tokenType = answer.token_type;
  if (tokenType !== undefined && (typeof tokenType !== 'string' || !ACCESS_TOKEN_TYPES.has(tokenType.toLowerCase()))) {
    return refusal('unsupported_token_type');
  }
  if (answer.iss !== undefined && answer.iss !== issuer.issuer) return refusal('unknown_issuer');
  for (const member of STRING_MEMBERS) {
    if (answer[member] !== undefined && typeof answer[member] !== 'string') return refusal('missing_claim', { missingClaim: member });
  }
  for (const member of DATE_MEMBERS) {
    if (answer[member] !== undefined && !isNumericDate(answer[member])) return refusal('missing_claim', { missingClaim: member });
  }
  const { exp, nbf, iat } = answer as { exp?: number; nbf?: number; iat?: number };
  if (exp === undefined) return refusal('missing_claim', { missingClaim: 'exp' });
  const skew = policy.clockSkewSeconds;
  if (now >= exp + skew) return refusal('expired');
  if ((nbf !== undefined && nbf > now + skew) || (iat !== undefined && iat > now + skew)) return refusal('not_yet_valid');
  return {
    kind: 'verified', header: {}, claims: answer, issuer, keySetId: endpointId, expiresAt: exp, verifiedBy: 'introspection',
  };
}

function refusal(reason: TokenRefusal, detail?: DenyDetail): TokenVerification {
  return detail === undefined ? { kind: 'refused', reason } : { kind: 'refused', reason, detail };
}
