/**
 * The verified-token cache around the JWT verifier (ADR 0005): a token that
 * verified before, under the same policy snapshot, is not decoded again, and
 * its signature is not checked again while its issuer in the policy at hand
 * uses the key set that verified it. The header and issuer rules, the claims
 * against the current time, and everything decide() does afterwards run on
 * every request. Only tokens that passed every step of the verifier are
 * remembered, until their `exp`; tokens over the size cap are never looked up.
 */
import type { JwtVerifier } from './jwt-verifier.ts';
import type { PresentedToken, TokenVerification, TokenVerifier, VerificationContext } from './token-verifier.ts';
import type { VerifiedTokenCache } from './verified-token-cache.ts';

export class CachedTokenVerifier implements TokenVerifier {
  readonly #inner: JwtVerifier;
  readonly #cache: VerifiedTokenCache;

  constructor(inner: JwtVerifier, cache: VerifiedTokenCache) {
    this.#inner = inner;
    this.#cache = cache;
  }

  async verify(token: PresentedToken, context: VerificationContext): Promise<TokenVerification> {
    if (token.value.length > this.#inner.maxTokenBytes) return this.#inner.verify(token, context);
    const lookup = this.#cache.lookup(token.digest, context.generation);
    const remembered = lookup.hit;
    const verification = remembered === undefined
      ? await this.#inner.verify(token, context)
      : await this.#inner.verifyDecoded(token, remembered, context, remembered.keySetId);
    // A fresh signature check (a miss, or another key set than the remembered one's) is worth remembering.
    if (verification.kind === 'verified' && verification.verifiedBy === 'signature') {
      const { header, claims, keySetId, expiresAt } = verification;
      lookup.remember({ header, payload: claims, keySetId }, expiresAt);
    }
    return verification;
  }
}
