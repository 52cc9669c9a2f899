/**
 * The `audience_guard_policies` gauge's counts for a snapshot: every policy
 * in it in exactly one state, first match wins —
 *   unavailable  a placeholder: no accepted version, its claims deny 503
 *   conflicted   lost a host/prefix claim to an older policy
 *   stale        serving its last accepted version; the latest was refused
 *   accepted     serving its latest version
 * plus `rejected`, the refused documents that put nothing into the snapshot.
 */
import type { PolicyState } from '../obs/metric-label-sets.ts';
import type { PolicySnapshot } from '../core/policy-snapshot.ts';

export function policyCounts(snapshot: PolicySnapshot, stale: ReadonlySet<string>, rejected: number): Record<PolicyState, number> {
  const conflicted = new Set(snapshot.conflicts.map((conflict) => conflict.policy.id));
  const counts: Record<PolicyState, number> = { accepted: 0, rejected, conflicted: 0, stale: 0, unavailable: 0 };
  for (const policy of snapshot.policies) {
    const state: PolicyState = policy.unavailable === true ? 'unavailable'
      : conflicted.has(policy.id) ? 'conflicted'
        : stale.has(policy.id) ? 'stale' : 'accepted';
    counts[state] += 1;
  }
  return counts;
}
