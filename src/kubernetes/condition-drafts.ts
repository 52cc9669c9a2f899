/**
 * The four conditions of a policy's status as drafts: type, status, reason and
 * a message a user can act on (clipped to 1024 characters), from one observation.
 */
import type { Condition, PolicyObservation } from './policy-status.ts';

const MAX_MESSAGE = 1024;

function clip(message: string): string {
  return message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 1)}…` : message;
}

/** A condition before its generation and transition time are filled in. */
export type ConditionDraft = Pick<Condition, 'type' | 'status' | 'reason' | 'message'>;

export function accepted(observation: PolicyObservation): ConditionDraft {
  if (observation.problems.length === 0) {
    return { type: 'Accepted', status: 'True', reason: 'Valid', message: 'The policy is valid and in force.' };
  }
  const list = observation.problems.map((problem) => `${problem.path}: ${problem.message}`).join('; ');
  const reason = observation.problems.find((problem) => problem.reason !== undefined)?.reason ?? 'Invalid';
  const { generation, servingGeneration } = observation;
  const instead = servingGeneration !== undefined
    ? `Generation ${String(generation)} is not in force; generation ${String(servingGeneration)}, ` +
      'the last accepted, keeps deciding requests'
    : observation.unavailable
      ? 'No accepted generation of this policy is known to the service (it is new, or was already refused when the service started), ' +
        'so requests on its hosts and paths are denied 503 policy_unavailable instead of reaching another policy'
      : 'The policy is not in force';
  return { type: 'Accepted', status: 'False', reason, message: clip(`${instead}: ${list}`) };
}

export function ready(observation: PolicyObservation): ConditionDraft {
  if (observation.problems.length === 0) return keysReady(observation);
  const { generation, servingGeneration } = observation;
  if (servingGeneration !== undefined) {
    const message = `Generation ${String(generation)} was not accepted; generation ${String(servingGeneration)} keeps deciding requests. ` +
      keysReady(observation).message;
    return { type: 'Ready', status: 'False', reason: 'ServingPreviousGeneration', message: clip(message) };
  }
  if (observation.unavailable) {
    const message = 'No accepted generation: requests on the policy\'s hosts and paths get 503 policy_unavailable. ' +
      'See the Accepted condition.';
    return { type: 'Ready', status: 'False', reason: 'PolicyUnavailable', message };
  }
  return { type: 'Ready', status: 'False', reason: 'NotAccepted', message: 'The policy is not accepted; see the Accepted condition.' };
}

/** Ready as far as the serving version's issuer keys go. */
function keysReady(observation: PolicyObservation): ConditionDraft {
  const failed = observation.keys.filter((key) => key.state === 'failed');
  if (failed.length > 0) {
    const list = failed.map((key) => `${key.issuer}: ${key.error ?? 'unavailable'}`).join('; ');
    const message = clip(`Signing keys could not be loaded, so requests get 503 keys_unavailable: ${list}`);
    return { type: 'Ready', status: 'False', reason: 'KeysUnavailable', message };
  }
  const loading = observation.keys.filter((key) => key.state === 'loading');
  if (loading.length > 0) {
    const message = clip(`Loading signing keys of ${loading.map((key) => key.issuer).join(', ')}.`);
    return { type: 'Ready', status: 'Unknown', reason: 'KeysLoading', message };
  }
  return { type: 'Ready', status: 'True', reason: 'KeysLoaded', message: 'The signing keys of every trusted issuer are loaded.' };
}

const ANOTHER_NAMESPACE = 'a policy in another namespace';

export function conflicted(observation: PolicyObservation): ConditionDraft {
  if (observation.conflicts.length === 0) {
    return { type: 'Conflicted', status: 'False', reason: 'NoConflict', message: 'No other policy claims the same host and path prefix.' };
  }
  const list = observation.conflicts.map((conflict) => (conflict.pathPrefix === undefined
    ? `host ${conflict.host} belongs to another namespace, which claimed it first`
    : `${conflict.winner ?? ANOTHER_NAMESPACE} already claims host ${conflict.host} path ${conflict.pathPrefix}`)).join('; ');
  if (observation.conflicts.some((conflict) => conflict.pathPrefix === undefined)) {
    const message = clip(`This policy serves nothing where another namespace owns the host: ${list}. ` +
      'A host belongs to one namespace: use another host, or ask the operator to assign hosts (--namespace-hosts).');
    return { type: 'Conflicted', status: 'True', reason: 'HostOwnedByOtherNamespace', message };
  }
  const message = clip(`Requests there are decided by the older policy: ${list}. ` +
    'Change hosts or pathPrefixes, or delete one of the policies.');
  return { type: 'Conflicted', status: 'True', reason: 'HostPathClaimed', message };
}

export function overlapping(observation: PolicyObservation): ConditionDraft {
  if (observation.overlaps.length === 0) {
    return { type: 'AudienceOverlap', status: 'False', reason: 'NoOverlap', message: 'No other policy accepts the same audiences.' };
  }
  const list = observation.overlaps.map((overlap) => `${overlap.other ?? ANOTHER_NAMESPACE} also accepts ${overlap.audience}`).join('; ');
  const message = clip(`A token issued for one service is accepted by the other (cross-service replay): ${list}. ` +
    'Give each service its own audience.');
  return { type: 'AudienceOverlap', status: 'True', reason: 'SharedAudience', message };
}
