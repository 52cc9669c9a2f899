/**
 * The steps of the decision order (docs/contract.md §2.1) and how one
 * decision went through them, derived from its outcome alone: the steps
 * before the one that gave the deny reason passed, that one failed, the later
 * ones were not reached. Nothing is judged again, except to tell apart the
 * two steps that can give the same reason (`malformed_token`: the token's
 * form or its header; `missing_claim`: the claims or `scope`/`scp`), which the token's decoded
 * form and the deny detail settle.
 */
import type { DecodedJWS } from '../../core/compact-jws.ts';
import type { Decision } from '../../core/decision.ts';
import { REASON_TABLE, type Reason } from '../../core/reasons.ts';

export const DECISION_STEPS = [
  'policy', 'metadata request', 'credential', 'token', 'header', 'issuer',
  'signature', 'claims', 'binding', 'audience', 'scopes', 'upstream credential',
] as const;

export type StepOutcome = 'pass' | 'fail' | 'not_reached' | 'skipped' | 'not_enforced' | 'answered';

export interface StepResult {
  readonly step: number;
  readonly name: (typeof DECISION_STEPS)[number];
  readonly result: StepOutcome;
  readonly note?: string;
}

/** The step each reason comes from; `undefined` for failures around every step (timeout, internal error). */
const STEP_OF: Readonly<Record<Reason, number | undefined>> = {
  no_policy: 0, ambiguous_path: 0, policy_unavailable: 0, untrusted_peer: 0,
  missing_token: 2, invalid_request: 2,
  token_too_large: 3, malformed_token: 3,
  unsupported_token_type: 4, disallowed_algorithm: 4,
  unknown_issuer: 5,
  unknown_key: 6, keys_unavailable: 6, invalid_signature: 6, introspection_unavailable: 6,
  expired: 7, not_yet_valid: 7, id_token_presented: 7, missing_claim: 7,
  invalid_dpop_proof: 8, dpop_replayed: 8, dpop_required: 8, dpop_nonce_required: 8, dpop_unavailable: 8, token_binding_mismatch: 8,
  audience_mismatch: 9,
  insufficient_scope: 10, unreadable_mcp_request: 10,
  upstream_token_unavailable: 11,
  timeout: undefined, internal_error: undefined,
};

function failedStep(decision: Extract<Decision, { kind: 'deny' }>, token: DecodedJWS | undefined): number | undefined {
  const { reason, detail } = decision;
  if (reason === 'malformed_token') return token === undefined ? 3 : 4;
  if (reason === 'missing_claim' && (detail?.missingClaim === 'scope' || detail?.missingClaim === 'scp')) return 10;
  return STEP_OF[reason];
}

function stepResult(step: number, result: StepOutcome, note?: string): StepResult {
  const name = DECISION_STEPS[step] as StepResult['name'];
  return note === undefined ? { step, name, result } : { step, name, result, note };
}

/** Every step, in order, with how `decision` went through it. */
export function decisionSteps(decision: Decision, token: DecodedJWS | undefined): StepResult[] {
  switch (decision.kind) {
    case 'metadata':
      return DECISION_STEPS.map((_, step) => (step === 0 ? stepResult(0, 'pass')
        : step === 1 ? stepResult(1, 'answered', 'the RFC 9728 metadata document; no token is read')
          : stepResult(step, 'not_reached')));
    case 'allow':
      return DECISION_STEPS.map((_, step) => {
        if (step === 1) return stepResult(1, 'pass', 'not a metadata request');
        if (step === 9 && decision.notEnforced !== undefined) {
          return stepResult(9, 'not_enforced', 'audience_mismatch, let through by mode Permissive');
        }
        if (step === 11 && decision.upstreamCredential === undefined) return stepResult(11, 'skipped', 'the policy has no spec.upstream');
        return stepResult(step, 'pass');
      });
    case 'deny': {
      const failed = failedStep(decision, token);
      const note = `${decision.reason}: ${REASON_TABLE[decision.reason].description}`;
      return DECISION_STEPS.map((_, step) => {
        if (failed === undefined) return stepResult(step, 'not_reached');
        if (step < failed) return stepResult(step, 'pass', step === 1 ? 'not a metadata request' : undefined);
        return step === failed ? stepResult(step, 'fail', note) : stepResult(step, 'not_reached');
      });
    }
  }
}
