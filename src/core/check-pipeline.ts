/**
 * The decision, in the order of SPEC.md 2.1 — the first failing step decides.
 * Pure: keys and the clock come in through `CheckEnvironment`; the result is a
 * typed `Decision`; nothing here logs, counts or does I/O.
 */
import { audienceMatches, audienceValues } from './audience.ts';
import { extractBearer } from './bearer.ts';
import { checkClaims } from './claims.ts';
import { decodeCompactJWS } from './compact-jws.ts';
import type { Decision, VerifiedPrincipal } from './decision.ts';
import type { HttpRequestView } from './http-request.ts';
import { checkHeader } from './jws-header.ts';
import type { KeyResolver } from './key-resolver.ts';
import type { Reason } from './reasons.ts';
import { grantedScopes, missingScopes } from './scopes.ts';
import { signatureVerifies } from './signature.ts';
import { tokenSHA256 } from './token-hash.ts';
import type { PolicySnapshot } from '../policy/policy-snapshot.ts';
import type { RuntimePolicy } from '../policy/runtime-policy.ts';

export interface CheckEnvironment {
  readonly keys: KeyResolver;
  /** Seconds since the epoch. */
  now(): number;
  /** Tokens longer than this are refused before any decoding (SPEC.md 2.1 step 3). */
  readonly maxTokenBytes: number;
}

export async function decide(request: HttpRequestView, snapshot: PolicySnapshot, env: CheckEnvironment): Promise<Decision> {
  // Policy, then step 1: RFC 9728 metadata requests need no token.
  const selection = snapshot.select(request);
  if (selection === undefined) return deny('no_policy', undefined, undefined);
  const { policy } = selection;
  if (selection.metadataRequest) return { kind: 'metadata', policy };

  // 2. Credential: one Authorization header, Bearer token68.
  const credential = extractBearer(request.authorization);
  if (credential.kind === 'missing') return deny('missing_token', policy, undefined);
  if (credential.kind === 'malformed') return deny('invalid_request', policy, undefined);
  const { token } = credential;
  const reject = (reason: Reason, principal?: VerifiedPrincipal): Decision => deny(reason, policy, token, principal);

  // 3. Token: compact JWS, size cap.
  const decoded = decodeCompactJWS(token, env.maxTokenBytes);
  if (decoded.kind === 'too_large') return reject('token_too_large');
  if (decoded.kind === 'malformed') return reject('malformed_token');
  const { header, payload } = decoded.jws;

  // 4. Header (typ per profile, alg allow-list) and 5. issuer (unverified `iss`, exact).
  const issuer = typeof payload.iss === 'string' ? policy.issuers.get(payload.iss) : undefined;
  const headerVerdict = checkHeader(header, issuer === undefined ? policy.issuerList : [issuer]);
  if (headerVerdict !== 'ok') return reject(headerVerdict);
  if (issuer === undefined) return reject('unknown_issuer');

  // 6. Signature, with a key from this issuer's own key set chosen by `kid`.
  const lookup = await env.keys.resolve(issuer, { kid: header.kid as string | undefined, alg: header.alg as string });
  if (lookup.kind !== 'key') return reject(lookup.kind);
  if (!signatureVerifies(token, header, lookup.key, issuer.algorithms)) return reject('invalid_signature');

  // 7. Claims: exp/nbf/iat with skew, required claims per profile.
  const claimsVerdict = checkClaims(payload, issuer.profile, env.now(), policy.clockSkewSeconds);
  if (claimsVerdict !== 'ok') return reject(claimsVerdict);
  const audiences = audienceValues(payload.aud);
  if (audiences === undefined) return reject('missing_claim');
  const principal = principalOf(issuer.issuer, payload, audiences);

  // 8. Audience (RFC 8707); Permissive mode records the failure instead of enforcing it.
  const audienceOk = audienceMatches(audiences, policy.acceptedAudiences);
  if (!audienceOk && policy.mode === 'Strict') return reject('audience_mismatch', principal);

  // 9. Scopes, after implications.
  const granted = grantedScopes(payload);
  if (granted === undefined) return reject('missing_claim', principal);
  if (missingScopes(policy.requiredScopes, granted, policy.scopeImplications).length > 0) {
    return reject('insufficient_scope', principal);
  }

  return {
    kind: 'allow',
    policy,
    principal,
    notEnforced: audienceOk ? undefined : 'audience_mismatch',
    tokenSHA256: audienceOk ? undefined : tokenSHA256(token),
  };
}

function deny(reason: Reason, policy: RuntimePolicy | undefined, token: string | undefined, principal?: VerifiedPrincipal): Decision {
  return {
    kind: 'deny',
    reason,
    policy,
    // The challenge names every scope the resource needs, not only the missing
    // ones, so a client's step-up request keeps what it had (ADR 0002).
    challengeScopes: policy?.requiredScopes ?? [],
    tokenSHA256: token === undefined ? undefined : tokenSHA256(token),
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
