/**
 * What the service observed about each AudiencePolicy object, for its status:
 * the validation problems, what serves for it (the latest generation, the last
 * accepted one, a placeholder, or nothing), conflicts, audience overlaps and
 * the state of its issuers' keys. A status is readable by the object's own
 * namespace, so objects of other namespaces are never named.
 */
import type { IssuerKeyStore } from '../keys/issuer-key-store.ts';
import type { PolicySnapshot } from '../core/policy-snapshot.ts';
import type { RuntimePolicy } from '../core/runtime-policy.ts';
import type { ObservedPolicy } from './last-good-policies.ts';
import type { IssuerKeyState, PolicyObservation } from './policy-status.ts';
import type { StatusTarget } from './status-writer.ts';

/** What a status may say about another policy: its id within the same namespace, nothing across namespaces. */
function visibleId(other: RuntimePolicy, namespace: string | undefined): string | undefined {
  return other.namespace === namespace ? other.id : undefined;
}

export function observationsFor(observed: readonly ObservedPolicy[], snapshot: PolicySnapshot, keys: IssuerKeyStore): StatusTarget[] {
  return observed.map(({ object, id, problems }): StatusTarget => {
    const namespace = object.metadata?.namespace;
    const policy = snapshot.byId(id);
    // The snapshot says what serves: the latest generation, the last accepted one, a placeholder, or nothing.
    const unavailable = policy?.unavailable === true;
    const keyStates: IssuerKeyState[] = policy === undefined ? [] : policy.issuerList.map((issuer) => {
      const set = keys.keySet(issuer);
      const state = set?.ready === true ? 'ready' : set?.lastError !== undefined ? 'failed' : 'loading';
      return { issuer: issuer.issuer, state, error: set?.lastError };
    });
    const observation: PolicyObservation = {
      generation: object.metadata?.generation ?? 0,
      servingGeneration: policy === undefined || unavailable ? undefined : policy.generation,
      unavailable,
      problems,
      conflicts: snapshot.conflicts.filter((conflict) => conflict.policy.id === id)
        .map((conflict) => ({ winner: visibleId(conflict.winner, namespace), host: conflict.host, pathPrefix: conflict.pathPrefix })),
      overlaps: snapshot.audienceOverlaps.filter((overlap) => overlap.policy.id === id)
        .map((overlap) => ({ other: visibleId(overlap.other, namespace), audience: overlap.audience })),
      keys: keyStates,
    };
    return { object, observation };
  });
}
