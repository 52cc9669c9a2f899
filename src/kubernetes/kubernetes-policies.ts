/**
 * The Kubernetes side of the service: the AudiencePolicy source, the Lease
 * that picks the one replica allowed to write status, and the status writer
 * fed with what the service observed (validation, conflicts, audience
 * overlaps, issuer key state). Status work runs beside the check path and
 * never blocks it.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { IssuerKeyStore } from '../keys/issuer-key-store.ts';
import { LeaseLeaderElection } from './lease-leader-election.ts';
import type { Logger } from '../obs/logger.ts';
import { logEvent } from '../obs/log-events.ts';
import type { PolicySnapshot } from '../core/policy-snapshot.ts';
import type { PolicyStore } from '../policy/policy-store.ts';
import type { RuntimePolicy } from '../core/runtime-policy.ts';
import type { TenantRuleOptions } from '../policy/tenant-rules.ts';
import { KubernetesPolicySource, type ObservedPolicy, type StandIn } from './kubernetes-policy-source.ts';
import type { IssuerKeyState, PolicyObservation } from './policy-conditions.ts';
import { StatusWriter, type StatusTarget } from './status-writer.ts';

export interface KubernetesOptions {
  readonly config: KubeConfig;
  /** Empty: all namespaces. */
  readonly namespaces: readonly string[];
  readonly lease: { readonly namespace: string; readonly name: string; readonly identity: string };
  readonly leaseDurationSeconds?: number;
  readonly renewIntervalMs?: number;
  readonly statusRetryMs?: number;
  readonly secretTTLMs?: number;
  /** The operator's bounds on what each namespace's policies may configure. */
  readonly tenantRules?: TenantRuleOptions;
}

export interface KubernetesPolicies {
  /** Resolves after the first complete list of every watched namespace. */
  readonly synced: Promise<void>;
  readonly statusWriter: StatusWriter;
  readonly leader: LeaseLeaderElection;
  /** Re-evaluates every policy's status (e.g. after issuer keys changed). */
  reconcileStatus(): void;
  stop(): Promise<void>;
}

const STAND_IN_MESSAGES: Readonly<Record<StandIn, string>> = {
  last_accepted: 'policy update rejected; its last accepted version keeps serving',
  placeholder: 'policy rejected; requests on its hosts and paths get 503 policy_unavailable',
  none: 'policy rejected; it claims nothing, the other policies keep serving',
};

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

export function startKubernetesPolicies(options: KubernetesOptions, store: PolicyStore, keys: IssuerKeyStore, logger: Logger): KubernetesPolicies {
  let observed: readonly ObservedPolicy[] = [];
  const loggedProblems = new Map<string, string>();
  const statusWriter = new StatusWriter(options.config, () => leader.isLeader, {
    failed: (id, error) => { logEvent(logger, 'status_write_failed', { policy: id, error: error.message }, 'policy status not written; will retry'); },
  }, options.statusRetryMs);
  // Status is computed off the event-loop turn that swaps the snapshot, and
  // bursts are coalesced, so thousands of policies never delay a check.
  let reconcileTimer: NodeJS.Timeout | undefined;
  const reconcileStatus = (): void => {
    if (reconcileTimer !== undefined) return;
    reconcileTimer = setTimeout(() => {
      reconcileTimer = undefined;
      statusWriter.reconcile(observationsFor(observed, store.current(), keys));
    }, 50);
    reconcileTimer.unref();
  };

  const leader: LeaseLeaderElection = new LeaseLeaderElection(options.config, {
    ...options.lease,
    leaseDurationSeconds: options.leaseDurationSeconds ?? 15,
    renewIntervalMs: options.renewIntervalMs ?? 5_000,
  }, (isLeader) => {
    if (isLeader) logEvent(logger, 'leader_elected', { identity: options.lease.identity }, 'this replica writes policy status');
    else logEvent(logger, 'leader_lost', { identity: options.lease.identity }, 'another replica writes policy status');
    if (isLeader) reconcileStatus();
  });

  const source = new KubernetesPolicySource(options.config, store, { namespaces: options.namespaces, ...(options.tenantRules === undefined ? {} : { tenantRules: options.tenantRules }) }, {
    observed: (policies) => {
      observed = policies;
      // Log each object's problems once per change, not on every rebuild.
      const seen = new Set<string>();
      for (const policy of policies) {
        seen.add(policy.id);
        const fingerprint = `${String(policy.object.metadata?.generation)} ${policy.problems.map((problem) => problem.path + problem.message).join()}`;
        if (policy.problems.length === 0 || loggedProblems.get(policy.id) === fingerprint) continue;
        loggedProblems.set(policy.id, fingerprint);
        const standIn = policy.standIn ?? 'none';
        for (const problem of policy.problems) {
          logEvent(logger, 'policy_rejected', { origin: policy.id, field: problem.path, problem: problem.message, stand_in: standIn }, STAND_IN_MESSAGES[standIn]);
        }
      }
      for (const id of loggedProblems.keys()) if (!seen.has(id)) loggedProblems.delete(id);
      reconcileStatus();
    },
    failed: (error, phase, namespace) => {
      logEvent(logger, 'policy_source_failed', { phase, namespace, error: error.message }, 'Kubernetes API call failed; retrying, the last policies keep serving');
    },
  });
  keys.onRefresh(() => { reconcileStatus(); });
  leader.start();
  const synced = source.start();

  return {
    synced,
    statusWriter,
    leader,
    reconcileStatus,
    async stop() {
      clearTimeout(reconcileTimer);
      leader.stop();
      statusWriter.close();
      await source.stop();
    },
  };
}
