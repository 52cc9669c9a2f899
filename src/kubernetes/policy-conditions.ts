/**
 * The status a policy should have (docs/contract.md §1.2, status): pure, from
 * what the service observed. Conditions follow the Kubernetes conventions: one
 * per type, `lastTransitionTime` kept while the status does not change, reasons
 * in CamelCase, messages a user can act on. `observedGeneration` is the last
 * generation processed; `servingGeneration` the one deciding requests (an older
 * one when the latest was refused; absent when none serves).
 *
 *   Accepted         schema and semantic validation passed (or the problems,
 *                    and what serves instead)
 *   Ready            the latest generation decides requests and the trusted
 *                    issuers' keys are loaded (or what is in the way)
 *   Conflicted       another, older policy claims the same host and path prefix,
 *                    or another namespace owns the host
 *   AudienceOverlap  another policy accepts one of the same audiences: tokens
 *                    for one are accepted by the other (cross-service replay)
 *
 * A status is readable by the policy's own namespace, so it never names an
 * object of another namespace: the observation carries other policies' ids
 * only when they are in the same namespace (src/kubernetes/status-observations.ts).
 */
import { accepted, conflicted, overlapping, ready } from './condition-drafts.ts';
import type { Condition, PolicyObservation, PolicyStatus } from './policy-status.ts';

export function desiredStatus(observation: PolicyObservation, previous: PolicyStatus | undefined, now: Date): PolicyStatus {
  const drafts = [accepted(observation), ready(observation), conflicted(observation), overlapping(observation)];
  const conditions = drafts.map((draft): Condition => {
    const before = previous?.conditions.find((condition) => condition.type === draft.type);
    const unchanged = before !== undefined && before.status === draft.status;
    return {
      ...draft,
      observedGeneration: observation.generation,
      lastTransitionTime: unchanged ? before.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
  });
  return {
    observedGeneration: observation.generation,
    ...(observation.servingGeneration === undefined ? {} : { servingGeneration: observation.servingGeneration }),
    conditions,
  };
}

/** True when writing `desired` would change nothing the user can see. */
export function statusEquals(current: unknown, desired: PolicyStatus): boolean {
  const candidate = current as Partial<PolicyStatus> | undefined;
  if (candidate?.observedGeneration !== desired.observedGeneration) return false;
  // A merge patch clears a field with null, so null and absent are the same here.
  if (((candidate as { servingGeneration?: unknown }).servingGeneration ?? undefined) !== desired.servingGeneration) return false;
  const conditions = candidate.conditions ?? [];
  if (conditions.length !== desired.conditions.length) return false;
  return desired.conditions.every((condition) => {
    const other = conditions.find((entry) => entry.type === condition.type);
    return other !== undefined && other.status === condition.status && other.reason === condition.reason
      && other.message === condition.message && other.observedGeneration === condition.observedGeneration
      && other.lastTransitionTime === condition.lastTransitionTime;
  });
}
