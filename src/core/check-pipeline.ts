/**
 * The decision, in the order of docs/contract.md §2.1 — the first failing step
 * decides. Pure: keys, the clock and upstream tokens come in through
 * `CheckEnvironment`; the result is a typed `Decision`; nothing here logs,
 * counts or does I/O.
 */
import { audienceMatches, audienceValues } from './audience.ts';
import { extractBearer, type CredentialScheme } from './bearer.ts';
import { checkBinding } from './binding-step.ts';
import type { CheckEnvironment, CheckProgress } from './check-environment.ts';
import { decisionsCacheable, frozenDecision, rememberableFor, type DecisionRecall } from './decision-cache.ts';
import type { Decision, DenyDetail, McpLabels, UpstreamCredential, VerifiedPrincipal } from './decision.ts';
import type { HttpRequestView } from './http-request.ts';
import { requestScopes } from './mcp-scopes.ts';
import type { PolicySnapshot } from './policy-snapshot.ts';
import type { Reason } from './reasons.ts';
import { NO_EXTRAS, type RequestExtras } from './request-extras.ts';
import type { RuntimePolicy } from './runtime-policy.ts';
import { grantedScopeList, grantedScopes, malformedScopeClaim, missingScopes } from './scopes.ts';
import { digestLogId, tokenDigest } from './token-hash.ts';
import type { VerifiedToken } from './token-verifier.ts';

type DenyDecision = Extract<Decision, { kind: 'deny' }>;

/**
 * `extras` reach the credential step, the binding step (proof, certificate,
 * authority) and the scopes step (the MCP call); `progress` learns the policy
 * and the token digest as soon as they are known, for a deny decided outside
 * decide() (the runner's timeout and internal error).
 */
export async function decide(
  request: HttpRequestView,
  snapshot: PolicySnapshot,
  env: CheckEnvironment,
  extras: RequestExtras = NO_EXTRAS,
  progress: CheckProgress = { policy: undefined, digest: undefined },
): Promise<Decision> {
  const memory: DecisionMemory = { recall: undefined, verified: undefined };
  const decision = await decideOnce(request, snapshot, env, extras, progress, memory);
  if (memory.recall === undefined || memory.verified === undefined || decision.policy === undefined) return decision;
  const validity = rememberableFor(decision, memory.verified, decision.policy.clockSkewSeconds);
  if (validity === undefined) return decision;
  const frozen = frozenDecision(decision);
  memory.recall.remember(frozen, validity);
  return frozen;
}

/** What decideOnce() tells decide() for the decision cache (src/core/decision-cache.ts). */
interface DecisionMemory {
  recall: DecisionRecall | undefined;
  verified: VerifiedToken | undefined;
}

async function decideOnce(
  request: HttpRequestView,
  snapshot: PolicySnapshot,
  env: CheckEnvironment,
  extras: RequestExtras,
  progress: CheckProgress,
  memory: DecisionMemory,
): Promise<Decision> {
  // Policy, then step 1: RFC 9728 metadata requests need no token.
  const selection = snapshot.select(request);
  if (selection === undefined) return deny('no_policy', undefined, undefined);
  const { policy } = selection;
  progress.policy = policy;
  // A spelling of the path that another policy would take: what routes the request might read it so.
  if (selection.ambiguous) return deny('ambiguous_path', policy, undefined);
  // A refused policy with no accepted version still holds its claims: closed
  // (metadata included), never handed to a laxer policy.
  if (policy.unavailable === true) return deny('policy_unavailable', policy, undefined);
  if (selection.metadataRequest) return { kind: 'metadata', policy };

  // 2. Credential: one Authorization header, Bearer or DPoP token68.
  const credential = extractBearer(request.authorization);
  if (credential.kind === 'missing') return deny('missing_token', policy, undefined);
  if (credential.kind === 'malformed') return deny('invalid_request', policy, undefined);
  const token = { value: credential.token, digest: tokenDigest(credential.token) }; // the digest, never the token, is logged and cached
  progress.digest = token.digest;
  // The whole decision, when this token was decided under this policy before (src/core/decision-cache.ts);
  // only for a Bearer credential: the DPoP scheme always goes through the binding step.
  if (env.decisions !== undefined && credential.scheme === 'bearer' && decisionsCacheable(policy, extras)) {
    memory.recall = env.decisions.recall(token.digest, policy, snapshot.generation);
    if (memory.recall.hit !== undefined) return memory.recall.hit;
  }
  const reject = (reason: Reason, principal?: VerifiedPrincipal, detail?: DenyDetail, dpopNonce?: string): DenyDecision =>
    deny(reason, policy, token.digest, principal, detail, credential.scheme, dpopNonce);

  // 3–7. Token, header, issuer, signature, claims: a VerifiedToken, or the first failing step's reason.
  const verified = await env.tokens.verify(token, { policy, generation: snapshot.generation, request, extras });
  if (verified.kind === 'refused') return reject(verified.reason, undefined, verified.detail);
  memory.verified = verified;
  // The last rule of 7: `aud` is a string or a non-empty array of strings.
  const audiences = audienceValues(verified.claims.aud);
  if (audiences === undefined) return reject('missing_claim', undefined, { missingClaim: 'aud' });
  const principal = principalOf(verified.issuer.issuer, verified.claims, audiences);

  // Binding (docs/contract.md §2.10): the token's `cnf` against the DPoP proof and the client certificate (RFC 9449, RFC 8705).
  const binding = await checkBinding({
    claims: verified.claims, issuerAlgorithms: verified.issuer.algorithms, token, scheme: credential.scheme, request, extras, policy,
  }, env.binding);
  if (binding.kind === 'refused') return reject(binding.reason, principal, undefined, binding.nonce);

  // 8. Audience (RFC 8707); Permissive mode records the failure instead of enforcing it —
  //    except with `spec.upstream`: a token issued for another resource must never be
  //    exchanged for, or let the request be given, an upstream token (confused deputy).
  const audienceOk = audienceMatches(audiences, policy.acceptedAudiences);
  if (!audienceOk && (policy.mode === 'Strict' || policy.upstream !== undefined)) return reject('audience_mismatch', principal);

  // 9. Scopes, after implications: requiredScopes, and with `spec.mcp` those of the request's MCP method and tool.
  const granted = grantedScopes(verified.claims);
  if (granted === undefined) return reject('missing_claim', principal, { missingClaim: malformedScopeClaim(verified.claims) });
  const scopes = requestScopes(policy, request.method, extras, env.maxBodyBytes);
  if (scopes.kind === 'unreadable') return { ...reject('unreadable_mcp_request', principal), mcp: scopes.mcp };
  if (missingScopes(scopes.required, granted, policy.scopeImplications).length > 0) {
    const denied = reject('insufficient_scope', principal, { grantedScopes: grantedScopeList(granted) });
    return { ...denied, challengeScopes: scopes.required, ...mcpOf(scopes) };
  }

  // 10. The upstream's own token, when the policy gives it one (docs/contract.md §2.8):
  //     never the client's token, and never a fallback to passthrough.
  let upstreamCredential: UpstreamCredential | undefined;
  if (policy.upstream !== undefined) {
    const upstream = env.upstreamTokens === undefined
      ? { kind: 'unavailable' as const }
      : await env.upstreamTokens.tokenFor(policy, token.value, verified.expiresAt);
    if (upstream.kind !== 'token') return { ...reject('upstream_token_unavailable', principal), ...mcpOf(scopes) };
    upstreamCredential = { header: policy.upstream.header, value: `Bearer ${upstream.accessToken}` };
  }

  return {
    kind: 'allow',
    policy,
    principal,
    upstreamCredential,
    notEnforced: audienceOk ? undefined : 'audience_mismatch',
    tokenSHA256: audienceOk ? undefined : digestLogId(token.digest),
    ...mcpOf(scopes),
  };
}

/** `mcp` for a decision, left out (not undefined) for a policy without `spec.mcp` rules. */
function mcpOf(scopes: { readonly mcp: McpLabels | undefined }): { mcp?: McpLabels } {
  return scopes.mcp === undefined ? {} : { mcp: scopes.mcp };
}

function deny(
  reason: Reason,
  policy: RuntimePolicy | undefined,
  digest: Buffer | undefined,
  principal?: VerifiedPrincipal,
  detail?: DenyDetail,
  scheme?: CredentialScheme,
  dpopNonce?: string,
): DenyDecision {
  return {
    kind: 'deny',
    ...(detail === undefined ? {} : { detail }),
    ...(scheme === undefined ? {} : { scheme }),
    ...(dpopNonce === undefined ? {} : { dpopNonce }),
    reason,
    policy,
    // The challenge names every scope the resource needs, not only the missing
    // ones, so a client's step-up request keeps what it had (ADR 0002).
    challengeScopes: policy?.requiredScopes ?? [],
    tokenSHA256: digest === undefined ? undefined : digestLogId(digest),
    principal,
  };
}

function principalOf(issuer: string, payload: Readonly<Record<string, unknown>>, audiences: readonly string[]): VerifiedPrincipal {
  return {
    issuer,
    subject: typeof payload.sub === 'string' ? payload.sub : undefined,
    clientId: typeof payload.client_id === 'string' ? payload.client_id : undefined,
    audiences,
  };
}

/** The deny for a check decide() did not finish (the check timeout, an unexpected error), attributed to what it had established. */
export function undecided(reason: Extract<Reason, 'timeout' | 'internal_error'>, progress: CheckProgress): Decision {
  return deny(reason, progress.policy, progress.digest);
}
