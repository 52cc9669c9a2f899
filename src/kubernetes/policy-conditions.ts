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

export type ConditionType = 'Accepted' | 'Ready' | 'Conflicted' | 'AudienceOverlap';
export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  readonly type: ConditionType;
  readonly status: ConditionStatus;
  readonly observedGeneration: number;
  readonly lastTransitionTime: string;
  readonly reason: string;
  readonly message: string;
}

export interface PolicyStatus {
  readonly observedGeneration: number;
  /** Absent when no generation of the object decides requests. */
  readonly servingGeneration?: number;
  readonly conditions: readonly Condition[];
}

export interface IssuerKeyState {
  readonly issuer: string;
  readonly state: 'ready' | 'loading' | 'failed';
  /** Why the last fetch failed (never secret). */
  readonly error: string | undefined;
}

export interface PolicyObservation {
  readonly generation: number;
  /** The generation deciding requests: `generation`, an older accepted one, or undefined when none does. */
  readonly servingGeneration: number | undefined;
  /** No accepted generation: its claims are held and denied 503 `policy_unavailable`. */
  readonly unavailable: boolean;
  /** Validation problems; empty when accepted. */
  readonly problems: readonly { readonly path: string; readonly message: string; readonly reason?: string }[];
  /**
   * Set when an older policy wins this policy's host and path claims. `winner`
   * is the winner's id when it is in the same namespace, undefined otherwise;
   * `pathPrefix` is undefined when another namespace owns the whole host.
   */
  readonly conflicts: readonly { readonly winner: string | undefined; readonly host: string; readonly pathPrefix: string | undefined }[];
  /** `other` as `winner` above: undefined for a policy of another namespace. */
  readonly overlaps: readonly { readonly other: string | undefined; readonly audience: string }[];
  readonly keys: readonly IssuerKeyState[];
}

const MAX_MESSAGE = 1024;

function clip(message: string): string {
  return message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 1)}…` : message;
}

type Draft = Pick<Condition, 'type' | 'status' | 'reason' | 'message'>;

function accepted(observation: PolicyObservation): Draft {
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

function ready(observation: PolicyObservation): Draft {
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
function keysReady(observation: PolicyObservation): Draft {
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

function conflicted(observation: PolicyObservation): Draft {
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

function overlapping(observation: PolicyObservation): Draft {
  if (observation.overlaps.length === 0) {
    return { type: 'AudienceOverlap', status: 'False', reason: 'NoOverlap', message: 'No other policy accepts the same audiences.' };
  }
  const list = observation.overlaps.map((overlap) => `${overlap.other ?? ANOTHER_NAMESPACE} also accepts ${overlap.audience}`).join('; ');
  const message = clip(`A token issued for one service is accepted by the other (cross-service replay): ${list}. ` +
    'Give each service its own audience.');
  return { type: 'AudienceOverlap', status: 'True', reason: 'SharedAudience', message };
}

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
