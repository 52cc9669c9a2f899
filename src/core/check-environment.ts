/**
 * What decide() gets from outside for one check, and how the service builds
 * it for JWT access tokens. The core never does I/O: keys, the clock, the
 * verified-token cache and upstream tokens all come in through here.
 */
import type { BindingEnvironment } from './binding-environment.ts';
import { CachedTokenVerifier } from './cached-token-verifier.ts';
import { DispatchingTokenVerifier } from './dispatching-token-verifier.ts';
import { IntrospectionVerifier } from './introspection-verifier.ts';
import type { TokenIntrospector } from './token-introspector.ts';
import type { DecisionCache } from './decision-cache.ts';
import { JwtVerifier, type JwtVerifierOptions } from './jwt-verifier.ts';
import type { RuntimePolicy } from './runtime-policy.ts';
import type { TokenVerifier } from './token-verifier.ts';
import type { UpstreamTokenSource } from './upstream-token-source.ts';
import type { VerifiedTokenCache } from './verified-token-cache.ts';

export interface CheckEnvironment {
  /** The credential step (docs/contract.md §2.1 steps 3–7): the presented token → a `VerifiedToken` or a reason. */
  readonly tokens: TokenVerifier;
  /** Upstream tokens for policies with `spec.upstream`; absent: such policies deny (fail closed). */
  readonly upstreamTokens?: UpstreamTokenSource | undefined;
  /** `--max-body-bytes`: a longer body is unreadable for a policy with `spec.mcp` rules (default 65536). */
  readonly maxBodyBytes?: number | undefined;
  /** The DPoP replay cache, nonces and clock of the binding step; absent: DPoP-bound tokens are refused (503). */
  readonly binding?: BindingEnvironment | undefined;
  /** Whole decisions remembered per token and policy (src/core/decision-cache.ts); absent: every check is decided anew. */
  readonly decisions?: DecisionCache | undefined;
}

export interface JwtCheckParts extends JwtVerifierOptions {
  /** Tokens that verified earlier (src/core/verified-token-cache.ts); absent: every token is verified in full. */
  readonly verifiedTokens?: VerifiedTokenCache | undefined;
  readonly upstreamTokens?: UpstreamTokenSource | undefined;
  readonly maxBodyBytes?: number | undefined;
  /** Opaque tokens of policies with an introspecting issuer; absent: every token takes the JWT path. */
  readonly introspector?: TokenIntrospector | undefined;
  readonly binding?: BindingEnvironment | undefined;
  readonly decisions?: DecisionCache | undefined;
}

/**
 * JWT access tokens verified with the issuers' keys, through the verified-token
 * cache when there is one; with an introspector, opaque tokens by introspection.
 */
export function jwtCheckEnvironment(parts: JwtCheckParts): CheckEnvironment {
  const jwt = new JwtVerifier(parts);
  const jwts = parts.verifiedTokens === undefined ? jwt : new CachedTokenVerifier(jwt, parts.verifiedTokens);
  const tokens = parts.introspector === undefined
    ? jwts
    : new DispatchingTokenVerifier(jwts, new IntrospectionVerifier(parts.introspector, parts.now), parts.maxTokenBytes);
  const { upstreamTokens, maxBodyBytes, binding, decisions } = parts;
  return { tokens, upstreamTokens, maxBodyBytes, binding, decisions };
}

/**
 * What decide() has established about one check, for a deny decided outside
 * it (the check timeout, an unexpected error): that deny is then attributed
 * to the same policy and carries the same token hash, without reading the
 * snapshot, selecting or hashing again. decide() writes each field as soon as
 * it knows it and never reads them.
 */
export interface CheckProgress {
  policy: RuntimePolicy | undefined;
  /** SHA-256 of the presented bearer token. */
  digest: Buffer | undefined;
}
