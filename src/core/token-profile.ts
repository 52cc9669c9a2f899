/**
 * Token profiles per issuer (docs/contract.md §2.3, RFC 9068 §2.1 and §4,
 * RFC 8725 §3.11).
 *
 * `rfc9068`: `typ` must be the `at+jwt` media type; `iss exp aud sub client_id
 * iat jti` are required. `jwt`: for issuers that do not yet follow RFC 9068
 * fully; `typ` may be `JWT`, `at+jwt` (an issuer that types its access tokens
 * but lacks some required claim) or absent, `client_id`/`jti` optional, but a
 * token shaped like an ID token (`nonce` or `at_hash`) is refused.
 */

export type TokenProfile = 'rfc9068' | 'jwt';

/** Media-type comparison: case-insensitive, `application/` prefix optional (RFC 7515 §4.1.9). */
export function mediaType(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}

/** Profile `jwt`: plain JWTs, and access-token JWTs from an issuer that lacks some RFC 9068 claim. */
const JWT_PROFILE_TYPES: ReadonlySet<string> = new Set(['jwt', 'at+jwt']);

export function typeAccepted(profile: TokenProfile, typ: unknown): boolean {
  switch (profile) {
    case 'rfc9068':
      return typeof typ === 'string' && mediaType(typ) === 'at+jwt';
    case 'jwt':
      return typ === undefined || (typeof typ === 'string' && JWT_PROFILE_TYPES.has(mediaType(typ)));
  }
}

/** Every claim some profile requires: a closed set of names. */
export type RequiredClaim = 'iss' | 'exp' | 'aud' | 'sub' | 'client_id' | 'iat' | 'jti';

const REQUIRED_CLAIMS: Readonly<Record<TokenProfile, readonly RequiredClaim[]>> = {
  rfc9068: ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'],
  jwt: ['iss', 'exp', 'aud'],
};

export function requiredClaims(profile: TokenProfile): readonly RequiredClaim[] {
  return REQUIRED_CLAIMS[profile];
}

/** An ID token's shape (OpenID Connect Core §2, §3.1.3.6) presented as an access token. */
export function looksLikeIdToken(payload: Readonly<Record<string, unknown>>): boolean {
  return 'nonce' in payload || 'at_hash' in payload;
}
