/**
 * Remembered decisions: the whole decision for a token under one policy of
 * one snapshot, so that the next check with the same token skips everything
 * after the token's SHA-256 (implemented by src/cache/decision-cache.ts, used
 * by src/core/check-pipeline.ts). A front end may keep its encoded answer
 * next to it (a remembered decision is frozen, so its identity is a key).
 *
 * A decision is remembered only when it is a function of the token and the
 * policy alone, and only until the token's own time says otherwise:
 *   - the token verified (signature, issuer, claims) and was already in the
 *     verified-token cache (seen twice: a token sent once costs no memory
 *     here), and carries no `cnf` (a sender-constrained token's decision
 *     reads the request's proof);
 *   - the request carries no `dpop` header and no client certificate;
 *   - the policy has no `upstream` (its credential expires on its own), no
 *     `mcp` rules (they read the body), and does not opt out
 *     (`RuntimePolicy.uncacheableDecisions`);
 *   - it is an allow, or a deny from the audience or scope steps;
 *   - it is answered only while `notBefore <= now < expiresAt`: never at or
 *     after the token's `exp` (clock skew is not granted here), never before
 *     its `nbf`/`iat` less the policy's skew;
 *   - keyed by the token's digest, the policy object and the snapshot
 *     generation; emptied when the policies or an issuer's keys change,
 *     including what checks that started before the change would remember.
 *
 * Metrics and the security log see a remembered decision exactly as a new
 * one: the runner records every decision it gets.
 */
import type { Decision } from './decision.ts';
import type { RequestExtras } from './request-extras.ts';
import type { RuntimePolicy } from './runtime-policy.ts';
import type { VerifiedToken } from './token-verifier.ts';

/** When a remembered decision may be answered: `notBefore <= now < expiresAt`, seconds since the epoch. */
export interface DecisionValidity {
  readonly notBefore: number;
  readonly expiresAt: number;
}

export interface DecisionRecall {
  /** The remembered decision, frozen; undefined on a miss. */
  readonly hit: Decision | undefined;
  /** Remembers `decision` for the lookup's key. Ignored when the cache was emptied since the lookup. */
  remember(decision: Decision, validity: DecisionValidity): void;
}

export interface DecisionCache {
  recall(digest: Buffer, policy: RuntimePolicy, generation: number): DecisionRecall;
}

/**
 * Whether a check may be answered from, or remembered in, the decision cache
 * at all. A step that reads more of the request than the token must make
 * this false for its checks: set `uncacheableDecisions` on the policy, or add
 * its condition here.
 */
export function decisionsCacheable(policy: RuntimePolicy, extras: RequestExtras): boolean {
  return policy.uncacheableDecisions !== true
    // Rules on MCP requests (`spec.mcp`) read the body and headers: never cached, whether or not the policy says so.
    && policy.mcp === undefined
    && policy.upstream === undefined
    && extras.dpopProof === undefined
    && extras.clientCertificate === undefined;
}

/** The deny reasons that follow from the verified claims and the policy alone. */
const CLAIM_DENIES: ReadonlySet<string> = new Set(['audience_mismatch', 'insufficient_scope', 'missing_claim']);

/** How long `decision`, made from `verified`, may be answered again; undefined when it must not be remembered. */
export function rememberableFor(decision: Decision, verified: VerifiedToken, skew: number): DecisionValidity | undefined {
  if (verified.verifiedBy !== 'remembered' || verified.claims.cnf !== undefined) return undefined;
  if (decision.kind === 'metadata' || decision.mcp !== undefined) return undefined;
  if (decision.kind === 'allow' ? decision.upstreamCredential !== undefined : !CLAIM_DENIES.has(decision.reason)) return undefined;
  const { nbf, iat } = verified.claims;
  const notBefore = Math.max(typeof nbf === 'number' ? nbf : -Infinity, typeof iat === 'number' ? iat : -Infinity) - skew;
  return { notBefore, expiresAt: verified.expiresAt };
}

/** Freezes a decision and what it holds (not the policy), so that it can be shared and its answer kept. */
export function frozenDecision(decision: Decision): Decision {
  if (decision.kind !== 'metadata') {
    if (decision.principal !== undefined) Object.freeze(Object.freeze(decision.principal).audiences);
    if (decision.kind === 'deny') {
      Object.freeze(decision.challengeScopes);
      if (decision.detail !== undefined) Object.freeze(Object.freeze(decision.detail).grantedScopes);
    }
  }
  return Object.freeze(decision);
}
