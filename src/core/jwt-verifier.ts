/**
 * The credential step for JWT access tokens (docs/contract.md §2.1 steps 3–7;
 * RFC 9068 §4): a compact JWS within the size cap, its header and unverified
 * `iss` judged by the policy's rules, its signature by a key from that
 * issuer's own key set, then its claims against the current time. The first
 * failing step gives the reason. Pure: keys and the clock come in.
 */
import { claimAtFault, validUntil } from './claims.ts';
import { decodeCompactJWS, type DecodedJWS } from './compact-jws.ts';
import type { DenyDetail } from './decision.ts';
import { readHeader, typCategory, type CheckedHeader } from './jws-header.ts';
import type { KeyResolver } from './key-resolver.ts';
import type { RuntimeIssuer, RuntimePolicy } from './runtime-policy.ts';
import { signatureVerifies } from './signature.ts';
import type { PresentedToken, TokenRefusal, TokenVerification, TokenVerifier, VerificationContext, VerifiedBy } from './token-verifier.ts';

export interface JwtVerifierOptions {
  readonly keys: KeyResolver;
  /** Seconds since the epoch: the checks' clock, read once per token at step 7. */
  readonly now: () => number;
  /** Tokens longer than this are refused before any decoding (step 3). */
  readonly maxTokenBytes: number;
}

export class JwtVerifier implements TokenVerifier {
  readonly maxTokenBytes: number;
  readonly #keys: KeyResolver;
  readonly #now: () => number;

  constructor(options: JwtVerifierOptions) {
    this.maxTokenBytes = options.maxTokenBytes;
    this.#keys = options.keys;
    this.#now = options.now;
  }

  verify(token: PresentedToken, context: VerificationContext): Promise<TokenVerification> {
    // 3. Token: compact JWS within the size cap.
    const decoded = decodeCompactJWS(token.value, this.maxTokenBytes);
    if (decoded.kind === 'too_large') return refused('token_too_large');
    if (decoded.kind === 'malformed') return refused('malformed_token');
    return this.verifyDecoded(token, decoded.jws, context, undefined);
  }

  /**
   * Steps 4–7 on `jws`, the decoding of `token`. `verifiedWith` is the key set
   * that verified this very token before (the verified-token cache): when it
   * is the key set of the token's issuer in this policy, the signature is not
   * checked again; every other step is.
   */
  verifyDecoded(
    token: PresentedToken,
    jws: DecodedJWS,
    context: VerificationContext,
    verifiedWith: string | undefined,
  ): Promise<TokenVerification> {
    const { policy } = context;
    // 4. Header (typ per profile, alg allow-list) and 5. issuer (unverified `iss`, exact).
    const issuer = typeof jws.payload.iss === 'string' ? policy.issuers.get(jws.payload.iss) : undefined;
    const header = readHeader(jws.header, issuer === undefined ? policy.issuerList : [issuer]);
    if (typeof header === 'string') {
      return refused(header, header === 'unsupported_token_type' ? { typ: typCategory(jws.header.typ) } : undefined);
    }
    if (issuer === undefined) return refused('unknown_issuer');
    // 6. Signature — not again for this very token verified by this same key set.
    if (verifiedWith === issuer.keySetId) return Promise.resolve(this.#claims(jws, issuer, policy, 'remembered'));
    return this.#signatureThenClaims(token, header, jws, issuer, policy);
  }

  /** 6. Signature, with a key from this issuer's own key set chosen by `kid` and `alg`; then 7. */
  async #signatureThenClaims(
    token: PresentedToken,
    header: CheckedHeader,
    jws: DecodedJWS,
    issuer: RuntimeIssuer,
    policy: RuntimePolicy,
  ): Promise<TokenVerification> {
    const lookup = await this.#keys.resolve(issuer, { kid: header.kid, alg: header.alg });
    if (lookup.kind !== 'key') return refusal(lookup.kind);
    if (!(await signatureVerifies(token.value, header, lookup.key, issuer.algorithms))) return refusal('invalid_signature');
    return this.#claims(jws, issuer, policy, 'signature');
  }

  /** 7. Claims: required per profile, exp/nbf/iat with skew against the current time. */
  #claims(jws: DecodedJWS, issuer: RuntimeIssuer, policy: RuntimePolicy, verifiedBy: VerifiedBy): TokenVerification {
    const expiresAt = validUntil(jws.payload, issuer.profile, this.#now(), policy.clockSkewSeconds);
    if (typeof expiresAt === 'string') return refusal(expiresAt, claimsDetail(expiresAt, jws, issuer));
    return { kind: 'verified', header: jws.header, claims: jws.payload, issuer, keySetId: issuer.keySetId, expiresAt, verifiedBy };
  }
}

function refusal(reason: TokenRefusal, detail?: DenyDetail): TokenVerification {
  return detail === undefined ? { kind: 'refused', reason } : { kind: 'refused', reason, detail };
}

function refused(reason: TokenRefusal, detail?: DenyDetail): Promise<TokenVerification> {
  return Promise.resolve(refusal(reason, detail));
}

/** Which claim, or which `typ` category, made step 7 refuse (closed sets only). */
function claimsDetail(reason: TokenRefusal, jws: DecodedJWS, issuer: RuntimeIssuer): DenyDetail | undefined {
  if (reason === 'missing_claim') return { missingClaim: claimAtFault(jws.payload, issuer.profile) };
  if (reason === 'unsupported_token_type') return { typ: typCategory(jws.header.typ) };
  return undefined;
}
