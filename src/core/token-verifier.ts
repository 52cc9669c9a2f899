/**
 * The credential step of decide() (docs/contract.md §2.1 steps 3–7): a token
 * the request presented goes in, and out comes either a `VerifiedToken` or
 * the one reason it is refused — the first failing step's, in the contract's
 * order. Everything after (audience, scopes, mode, upstream) reads only the
 * `VerifiedToken`, never the raw token or the unverified claims.
 *
 * Implementations: src/core/jwt-verifier.ts (compact JWS, the issuer's keys,
 * the profile's claims) and, around it, src/core/cached-token-verifier.ts
 * (the verified-token cache as a decorator: a token that verified before
 * skips decoding and the signature, nothing else).
 *
 * Token introspection (RFC 7662, opaque tokens): src/core/introspection-verifier.ts
 * asks the policy's introspecting issuer through `TokenIntrospector`
 * (src/core/token-introspector.ts; implemented in src/introspection/), and
 * src/core/dispatching-token-verifier.ts sends each token to one of the two;
 * its result is a `VerifiedToken` with `verifiedBy: 'introspection'`.
 *
 * Where the next credential kinds plug in, without restructuring decide():
 *   - Token introspection (RFC 7662, opaque tokens): another `TokenVerifier`
 *     that asks the issuer's introspection endpoint through an interface the
 *     core defines (as `KeyResolver` does for keys), chosen per issuer by a
 *     verifier that dispatches on the policy's issuer configuration; its
 *     result is a `VerifiedToken` with `verifiedBy: 'introspection'`.
 *   - DPoP (RFC 9449) and mTLS-bound tokens (RFC 8705): not verifiers — the
 *     binding step (src/core/binding-step.ts) after this one judges the
 *     verified token's `cnf`, whatever verified it; a verifier never refuses
 *     a token for carrying `cnf`.
 */
import type { DenyDetail } from './decision.ts';
import type { HttpRequestView } from './http-request.ts';
import type { Reason } from './reasons.ts';
import type { RequestExtras } from './request-extras.ts';
import type { RuntimeIssuer, RuntimePolicy } from './runtime-policy.ts';

/** A bearer token as the request presented it, with its SHA-256 (the cache key and the log's token_sha256). */
export interface PresentedToken {
  readonly value: string;
  readonly digest: Buffer;
}

/** What a verification may depend on besides the token. */
export interface VerificationContext {
  /** The policy selected for the request: its issuers, their rules, its clock skew. */
  readonly policy: RuntimePolicy;
  /** The snapshot's generation: what a remembered verification is valid for. */
  readonly generation: number;
  readonly request: HttpRequestView;
  readonly extras: RequestExtras;
}

/** How a token came to be trusted (for metrics and a future audit field; never changes a decision). */
export type VerifiedBy = 'signature' | 'remembered' | 'introspection';

/** A token whose issuer, signature and claims held for this policy, now. Its claims are safe to read. */
export interface VerifiedToken {
  readonly kind: 'verified';
  readonly header: Readonly<Record<string, unknown>>;
  readonly claims: Readonly<Record<string, unknown>>;
  /** The policy's issuer that vouched for the token (its `iss`). */
  readonly issuer: RuntimeIssuer;
  /** `RuntimeIssuer.keySetId` of the key set that verified the signature. */
  readonly keySetId: string;
  /** The token's `exp`, seconds since the epoch: nothing derived from it may outlive it. */
  readonly expiresAt: number;
  readonly verifiedBy: VerifiedBy;
}

/** The reasons the credential step can give (docs/contract.md §2.1 steps 3–7). */
export type TokenRefusal = Extract<Reason,
  | 'token_too_large' | 'malformed_token' | 'unsupported_token_type' | 'disallowed_algorithm' | 'unknown_issuer'
  | 'unknown_key' | 'keys_unavailable' | 'invalid_signature'
  | 'missing_claim' | 'id_token_presented' | 'expired' | 'not_yet_valid' | 'introspection_unavailable'>;

export interface TokenRefused {
  readonly kind: 'refused';
  readonly reason: TokenRefusal;
  /** Closed-set facts for the deny log (which claim, the `typ` category); never token content. */
  readonly detail?: DenyDetail | undefined;
}

export type TokenVerification = VerifiedToken | TokenRefused;

export interface TokenVerifier {
  /** Never rejects for a bad token (that is a refusal); a rejection is an internal error of the check. */
  verify(token: PresentedToken, context: VerificationContext): Promise<TokenVerification>;
}
