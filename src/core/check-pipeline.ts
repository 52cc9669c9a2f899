/**
 * The decision, in the order of SPEC.md 2.1 — the first failing step decides.
 * Pure: keys and the clock come in through `CheckEnvironment`; the result is a
 * typed `Decision`; nothing here logs, counts or does I/O.
 */
import { audienceMatches, audienceValues } from './audience.ts';
import { extractBearer } from './bearer.ts';
import { checkClaims } from './claims.ts';
import { decodeCompactJWS } from './compact-jws.ts';
import type { Decision, UpstreamCredential, VerifiedPrincipal } from './decision.ts';
import type { HttpRequestView } from './http-request.ts';
import { checkHeader } from './jws-header.ts';
import type { KeyResolver } from './key-resolver.ts';
import type { Reason } from './reasons.ts';
import { grantedScopes, missingScopes } from './scopes.ts';
import { signatureVerifies } from './signature.ts';
import { digestLogId, tokenDigest } from './token-hash.ts';
import type { UpstreamTokenSource } from './upstream-token-source.ts';
import type { VerifiedTokenCache } from './verified-token-cache.ts';
import type { PolicySnapshot } from './policy-snapshot.ts';
import type { RuntimePolicy } from './runtime-policy.ts';

export interface CheckEnvironment {
  readonly keys: KeyResolver;
  /** Seconds since the epoch. */
  now(): number;
  /** Tokens longer than this are refused before any decoding (SPEC.md 2.1 step 3). */
  readonly maxTokenBytes: number;
  /** Tokens that verified earlier (src/core/verified-token-cache.ts); absent: every token is verified in full. */
  readonly verifiedTokens?: VerifiedTokenCache | undefined;
  /** Upstream tokens for policies with `spec.upstream`; absent: such policies deny (fail closed). */
  readonly upstreamTokens?: UpstreamTokenSource | undefined;
}

export async function decide(request: HttpRequestView, snapshot: PolicySnapshot, env: CheckEnvironment): Promise<Decision> {
  // Policy, then step 1: RFC 9728 metadata requests need no token.
  const selection = snapshot.select(request);
  if (selection === undefined) return deny('no_policy', undefined, undefined);
  const { policy } = selection;
  // A spelling of the path that another policy would take: what routes the request might read it so.
  if (selection.ambiguous) return deny('ambiguous_path', policy, undefined);
  // A refused policy with no accepted version still holds its claims: closed
  // (metadata included), never handed to a laxer policy.
  if (policy.unavailable === true) return deny('policy_unavailable', policy, undefined);
  if (selection.metadataRequest) return { kind: 'metadata', policy };

  // 2. Credential: one Authorization header, Bearer token68.
  const credential = extractBearer(request.authorization);
  if (credential.kind === 'missing') return deny('missing_token', policy, undefined);
  if (credential.kind === 'malformed') return deny('invalid_request', policy, undefined);
  const { token } = credential;
  const digest = tokenDigest(token); // the log's token_sha256 and the cache key; never the token
  const reject = (reason: Reason, principal?: VerifiedPrincipal): Decision => deny(reason, policy, digest, principal);

  // 3. Token: compact JWS within the size cap — or what was decoded when this
  //    very token verified earlier under this snapshot.
  const remembered = token.length <= env.maxTokenBytes ? env.verifiedTokens?.lookup(digest, snapshot.generation) : undefined;
  const decoded = remembered?.hit === undefined ? decodeCompactJWS(token, env.maxTokenBytes) : { kind: 'decoded', jws: remembered.hit } as const;
  if (decoded.kind === 'too_large') return reject('token_too_large');
  if (decoded.kind === 'malformed') return reject('malformed_token');
  const { header, payload } = decoded.jws;

  // 4. Header (typ per profile, alg allow-list) and 5. issuer (unverified `iss`, exact).
  const issuer = typeof payload.iss === 'string' ? policy.issuers.get(payload.iss) : undefined;
  const headerVerdict = checkHeader(header, issuer === undefined ? policy.issuerList : [issuer]);
  if (headerVerdict !== 'ok') return reject(headerVerdict);
  if (issuer === undefined) return reject('unknown_issuer');

  // 6. Signature, with a key from this issuer's own key set chosen by `kid` —
  //    not again for a remembered token that this same key set verified.
  const verifiedBefore = remembered?.hit?.keySetId === issuer.keySetId;
  if (!verifiedBefore) {
    const lookup = await env.keys.resolve(issuer, { kid: header.kid as string | undefined, alg: header.alg as string });
    if (lookup.kind !== 'key') return reject(lookup.kind);
    if (!(await signatureVerifies(token, header, lookup.key, issuer.algorithms))) return reject('invalid_signature');
  }

  // 7. Claims: exp/nbf/iat with skew against the current time, required claims per profile.
  const claimsVerdict = checkClaims(payload, issuer.profile, env.now(), policy.clockSkewSeconds);
  if (claimsVerdict !== 'ok') return reject(claimsVerdict);
  if (!verifiedBefore) remembered?.remember({ header, payload, keySetId: issuer.keySetId }, payload.exp as number);
  const audiences = audienceValues(payload.aud);
  if (audiences === undefined) return reject('missing_claim');
  const principal = principalOf(issuer.issuer, payload, audiences);

  // 8. Audience (RFC 8707); Permissive mode records the failure instead of enforcing it —
  //    except with `spec.upstream`: a token issued for another resource must never be
  //    exchanged for, or let the request be given, an upstream token (confused deputy).
  const audienceOk = audienceMatches(audiences, policy.acceptedAudiences);
  if (!audienceOk && (policy.mode === 'Strict' || policy.upstream !== undefined)) return reject('audience_mismatch', principal);

  // 9. Scopes, after implications.
  const granted = grantedScopes(payload);
  if (granted === undefined) return reject('missing_claim', principal);
  if (missingScopes(policy.requiredScopes, granted, policy.scopeImplications).length > 0) {
    return reject('insufficient_scope', principal);
  }

  // 10. The upstream's own token, when the policy gives it one (SPEC.md 2.8):
  //     never the client's token, and never a fallback to passthrough.
  let upstreamCredential: UpstreamCredential | undefined;
  if (policy.upstream !== undefined) {
    const upstream = env.upstreamTokens === undefined
      ? { kind: 'unavailable' as const }
      : await env.upstreamTokens.tokenFor(policy, token, payload.exp as number);
    if (upstream.kind !== 'token') return reject('upstream_token_unavailable', principal);
    upstreamCredential = { header: policy.upstream.header, value: `Bearer ${upstream.accessToken}` };
  }

  return {
    kind: 'allow',
    policy,
    principal,
    upstreamCredential,
    notEnforced: audienceOk ? undefined : 'audience_mismatch',
    tokenSHA256: audienceOk ? undefined : digestLogId(digest),
  };
}

function deny(reason: Reason, policy: RuntimePolicy | undefined, digest: Buffer | undefined, principal?: VerifiedPrincipal): Decision {
  return {
    kind: 'deny',
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
