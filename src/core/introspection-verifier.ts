/**
 * The credential step for opaque access tokens (RFC 7662): the token goes to
 * the policy's one introspecting issuer — never to another one, and never to
 * more than one — and its answer is judged on every request
 * (src/core/introspection-answer.ts). An endpoint that gives no answer in time
 * is `introspection_unavailable` (503): never an allow, and never a 401 that
 * would make a client throw a good token away.
 */
import { judgeAnswer } from './introspection-answer.ts';
import type { RuntimeIssuer, RuntimePolicy } from './runtime-policy.ts';
import type { TokenIntrospector } from './token-introspector.ts';
import type { PresentedToken, TokenVerification, TokenVerifier, VerificationContext } from './token-verifier.ts';

/** The issuer of `policy` whose opaque tokens are introspected (the policy rules allow at most one). */
export function introspectingIssuer(policy: RuntimePolicy): RuntimeIssuer | undefined {
  return policy.issuerList.find((issuer) => issuer.introspection !== undefined);
}

export class IntrospectionVerifier implements TokenVerifier {
  readonly #introspector: TokenIntrospector;
  /** Seconds since the epoch: the checks' clock. */
  readonly #now: () => number;

  constructor(introspector: TokenIntrospector, now: () => number) {
    this.#introspector = introspector;
    this.#now = now;
  }

  async verify(token: PresentedToken, context: VerificationContext): Promise<TokenVerification> {
    const issuer = introspectingIssuer(context.policy);
    const introspection = issuer?.introspection;
    if (issuer === undefined || introspection === undefined) return { kind: 'refused', reason: 'malformed_token' };
    const result = await this.#introspector.introspect(token, issuer, introspection);
    if (result.kind === 'unavailable') return { kind: 'refused', reason: 'introspection_unavailable' };
    return judgeAnswer(result.answer, issuer, context.policy, this.#now(), introspection.endpointId);
  }
}
