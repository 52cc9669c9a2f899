/**
 * What the core asks of token introspection (RFC 7662), as `KeyResolver` is
 * for keys: the network, the answer cache and the request limits live at the
 * edge (src/introspection/). The core judges every answer itself, on every
 * request (src/core/introspection-answer.ts), so a remembered answer is held
 * to the current time and to the policy at hand.
 */
import type { RuntimeIntrospection, RuntimeIssuer } from './runtime-policy.ts';
import type { PresentedToken } from './token-verifier.ts';

export type IntrospectionResult =
  /** The endpoint's JSON answer (`active` is a boolean), fresh or remembered. */
  | { readonly kind: 'answer'; readonly answer: Readonly<Record<string, unknown>> }
  /** No answer in time: the endpoint is down, slow, garbled, busy, or its secret unreadable. */
  | { readonly kind: 'unavailable' };

export interface TokenIntrospector {
  /** Never rejects: every failure is `unavailable`. The token goes to this one issuer's endpoint and nowhere else. */
  introspect(token: PresentedToken, issuer: RuntimeIssuer, introspection: RuntimeIntrospection): Promise<IntrospectionResult>;
}
