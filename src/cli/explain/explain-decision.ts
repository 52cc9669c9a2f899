/**
 * The one place `explain` runs the decision: serve's own `decide()`
 * (src/core/check-pipeline.ts), on the HttpRequestView serve's parser reads
 * from the same CheckRequest, with the keys, clock and upstream tokens given
 * here. No step is judged again here. When the decision's inputs change
 * (a credential or verifier seam), this file is what adapts.
 *
 * `fillDenyDetail` adds the closed-set deny detail (which claim, the `typ`
 * category, the granted scopes) when `decide()` did not set it, by the rules
 * `decide()` applies at those steps. Once `decide()` sets `detail` itself, it
 * is never consulted and can go.
 */
import { audienceValues } from '../../core/audience.ts';
import { extractBearer } from '../../core/bearer.ts';
import { decide } from '../../core/check-pipeline.ts';
import { claimAtFault } from '../../core/claims.ts';
import { decodeCompactJWS } from '../../core/compact-jws.ts';
import type { Decision, DenyDetail } from '../../core/decision.ts';
import type { HttpRequestView } from '../../core/http-request.ts';
import { typCategory } from '../../core/jws-header.ts';
import type { KeyResolver } from '../../core/key-resolver.ts';
import type { PolicySnapshot } from '../../core/policy-snapshot.ts';
import { grantedScopeList, grantedScopes, malformedScopeClaim } from '../../core/scopes.ts';
import type { UpstreamTokenSource } from '../../core/upstream-token-source.ts';

export interface ExplainEnvironment {
  readonly keys: KeyResolver;
  /** The clock for the time claims, seconds since the epoch. */
  readonly now: number;
  /** serve's `--max-token-bytes`. */
  readonly maxTokenBytes: number;
  readonly upstreamTokens: UpstreamTokenSource | undefined;
}

export async function explainDecision(view: HttpRequestView, snapshot: PolicySnapshot, environment: ExplainEnvironment): Promise<Decision> {
  const { keys, now, maxTokenBytes, upstreamTokens } = environment;
  // No verified-token cache: every step is judged in full, as for a token serve sees first.
  const decision = await decide(view, snapshot, { keys, now: () => now, maxTokenBytes, upstreamTokens });
  return fillDenyDetail(decision, view);
}

function fillDenyDetail(decision: Decision, view: HttpRequestView): Decision {
  if (decision.kind !== 'deny' || decision.detail !== undefined) return decision;
  const credential = extractBearer(view.authorization);
  const decoded = credential.kind === 'token' ? decodeCompactJWS(credential.token, Number.MAX_SAFE_INTEGER) : undefined;
  if (decoded?.kind !== 'decoded') return decision;
  const { header, payload } = decoded.jws;
  const issuer = typeof payload.iss === 'string' ? decision.policy?.issuers.get(payload.iss) : undefined;
  let detail: DenyDetail | undefined;
  if (decision.reason === 'unsupported_token_type') {
    detail = { typ: typCategory(header.typ) };
  } else if (decision.reason === 'missing_claim') {
    // Step 7's claims, then `aud`'s form, then step 9's `scope`/`scp`: the order decide() reads them.
    const claim = (issuer === undefined ? undefined : claimAtFault(payload, issuer.profile))
      ?? (audienceValues(payload.aud) === undefined ? 'aud' : malformedScopeClaim(payload));
    detail = claim === undefined ? undefined : { missingClaim: claim };
  } else if (decision.reason === 'insufficient_scope') {
    const granted = grantedScopes(payload);
    detail = granted === undefined ? undefined : { grantedScopes: grantedScopeList(granted) };
  }
  return detail === undefined ? decision : { ...decision, detail };
}
