/**
 * How the decision core remembers tokens it has verified, without knowing how
 * they are stored (implemented by src/cache/verified-token-cache.ts, used by
 * src/core/cached-token-verifier.ts).
 *
 * What a hit may skip, and only that: decoding the compact JWS (step 3) and
 * the signature (step 6), and only when the token's issuer in the current
 * policy uses the same key set that verified it. Everything else — the header
 * and issuer rules of the policy at hand, the time claims against the current
 * time, the audience, the scopes and the mode — runs on every request.
 *
 * Contract for implementations:
 *   - keyed by the token's SHA-256 and the policy snapshot generation, never
 *     by the token or any part of it;
 *   - an entry is never returned at or after its `expiresAt` (the token's
 *     `exp`), whatever the clock skew of a policy;
 *   - bounded in entries and memory;
 *   - after the policies or an issuer's keys change, nothing remembered
 *     before is returned, including entries remembered by checks that
 *     started before the change.
 */

/** What is remembered of a token whose signature and time claims verified: its decoding, and the key set. */
export interface RememberedToken {
  readonly header: Readonly<Record<string, unknown>>;
  readonly payload: Readonly<Record<string, unknown>>;
  /** `RuntimeIssuer.keySetId` of the key set whose key verified the signature. */
  readonly keySetId: string;
}

export interface VerifiedTokenLookup {
  /** The token as verified earlier, or undefined. */
  readonly hit: RememberedToken | undefined;
  /**
   * Remembers a verified token until `expiresAt` (seconds since the epoch,
   * its `exp`). Ignored when the cache was invalidated since the lookup.
   */
  remember(token: RememberedToken, expiresAt: number): void;
}

export interface VerifiedTokenCache {
  /** `digest` is the token's SHA-256 (src/core/token-hash.ts); `generation` the snapshot's. */
  lookup(digest: Buffer, generation: number): VerifiedTokenLookup;
}
