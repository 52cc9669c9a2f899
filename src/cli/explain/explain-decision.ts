/**
 * The one place `explain` runs the decision: serve's own `decide()`
 * (src/core/check-pipeline.ts), on the HttpRequestView serve's parser reads
 * from the same CheckRequest, with the keys, clock and upstream tokens given
 * here. No step is judged again here. When the decision's inputs change
 * (a credential or verifier seam), this file is what adapts.
 * The closed-set deny detail (which claim, the `typ` category, the granted
 * scopes) comes from `decide()` itself, as in serve's deny log.
 */
import type { DpopReplayCache } from '../../core/binding-environment.ts';
import { jwtCheckEnvironment } from '../../core/check-environment.ts';
import { decide } from '../../core/check-pipeline.ts';
import type { Decision } from '../../core/decision.ts';
import type { HttpRequestView } from '../../core/http-request.ts';
import type { KeyResolver } from '../../core/key-resolver.ts';
import type { PolicySnapshot } from '../../core/policy-snapshot.ts';
import type { RequestExtras } from '../../core/request-extras.ts';
import type { UpstreamTokenSource } from '../../core/upstream-token-source.ts';

export interface ExplainEnvironment {
  readonly keys: KeyResolver;
  /** The clock for the time claims, seconds since the epoch. */
  readonly now: number;
  /** serve's `--max-token-bytes`. */
  readonly maxTokenBytes: number;
  readonly upstreamTokens: UpstreamTokenSource | undefined;
}

/** One check has no history: every proof is one serve sees for the first time. */
const NO_HISTORY: DpopReplayCache = { remember: () => 'fresh' };

export async function explainDecision(
  view: HttpRequestView,
  extras: RequestExtras,
  snapshot: PolicySnapshot,
  environment: ExplainEnvironment,
): Promise<Decision> {
  const { keys, now, maxTokenBytes, upstreamTokens } = environment;
  const binding = { replay: NO_HISTORY, now: () => now };
  // No verified-token cache: every step is judged in full, as for a token serve sees first.
  return decide(view, snapshot, jwtCheckEnvironment({ keys, now: () => now, maxTokenBytes, upstreamTokens, binding }), extras);
}
