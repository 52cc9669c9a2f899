/**
 * The Kubernetes side of the service, the `PolicySource` of Kubernetes mode:
 * the AudiencePolicy list+watch, the Lease that picks the one replica allowed
 * to write status, and the status writer fed with what the service observed
 * (validation, conflicts, audience overlaps, issuer key state). Status work
 * runs beside the check path and never blocks it. The listeners start first;
 * `start()` resolves after the first complete list of every watched namespace.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { LeaseLeaderElection } from './lease-leader-election.ts';
import type { Logger } from '../obs/logger.ts';
import { logEvent } from '../obs/log-events.ts';
import type { TenantRuleOptions } from '../policy/tenant-rules.ts';
import type { PolicySource, PolicySourceContext } from '../sources/policy-source.ts';
import { KubernetesPolicySource, type ObservedPolicy, type StandIn } from './kubernetes-policy-source.ts';
import { observationsFor } from './status-observations.ts';
import { StatusWriter } from './status-writer.ts';

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

export interface KubernetesPolicies extends PolicySource {
  readonly firstLoad: 'while-serving';
  /** Resolves after the first complete list of every watched namespace (what `start()` returns). */
  readonly synced: Promise<void>;
  readonly statusWriter: StatusWriter;
  readonly leader: LeaseLeaderElection;
  /** Re-evaluates every policy's status (e.g. after issuer keys changed). */
  reconcileStatus(): void;
}

const STAND_IN_MESSAGES: Readonly<Record<StandIn, string>> = {
  last_accepted: 'policy update rejected; its last accepted version keeps serving',
  placeholder: 'policy rejected; requests on its hosts and paths get 503 policy_unavailable',
  none: 'policy rejected; it claims nothing, the other policies keep serving',
};

/** Creates the Kubernetes side; nothing is read or written before `start()`. */
export function createKubernetesPolicies(options: KubernetesOptions, { store, keys, logger }: PolicySourceContext): KubernetesPolicies {
  warnWithoutHostRule(options, logger);
  let observed: readonly ObservedPolicy[] = [];
  const loggedProblems = new Map<string, string>();
  const statusWriter = new StatusWriter(options.config, () => leader.isLeader, {
    failed: (id, error) => {
      logEvent(logger, 'status_write_failed', { policy: id, error: error.message }, 'policy status not written; will retry');
    },
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

  const sourceOptions = {
    namespaces: options.namespaces,
    ...(options.tenantRules === undefined ? {} : { tenantRules: options.tenantRules }),
  };
  const source = new KubernetesPolicySource(options.config, store, sourceOptions, {
    observed: (policies) => {
      observed = policies;
      // Log each object's problems once per change, not on every rebuild.
      const seen = new Set<string>();
      for (const policy of policies) {
        seen.add(policy.id);
        const problems = policy.problems.map((problem) => problem.path + problem.message).join();
        const fingerprint = `${String(policy.object.metadata?.generation)} ${problems}`;
        if (policy.problems.length === 0 || loggedProblems.get(policy.id) === fingerprint) continue;
        loggedProblems.set(policy.id, fingerprint);
        const standIn = policy.standIn ?? 'none';
        for (const problem of policy.problems) {
          logEvent(
            logger, 'policy_rejected', { origin: policy.id, field: problem.path, problem: problem.message, stand_in: standIn },
            STAND_IN_MESSAGES[standIn],
          );
        }
      }
      for (const id of loggedProblems.keys()) if (!seen.has(id)) loggedProblems.delete(id);
      reconcileStatus();
    },
    failed: (error, phase, namespace) => {
      logEvent(
        logger, 'policy_source_failed', { phase, namespace, error: error.message },
        'Kubernetes API call failed; retrying, the last policies keep serving',
      );
    },
  });
  return {
    firstLoad: 'while-serving',
    synced: source.synced,
    statusWriter,
    leader,
    reconcileStatus,
    start() {
      keys.onRefresh(() => { reconcileStatus(); });
      leader.start();
      return source.start();
    },
    async stop() {
      clearTimeout(reconcileTimer);
      leader.stop();
      statusWriter.close();
      await source.stop();
    },
  };
}

/**
 * Without `--namespace-hosts`, a host goes to the namespace that claims it
 * first: with more than one namespace watched, a team can take a host no other
 * team has claimed yet. Said once at start, for the operator.
 */
function warnWithoutHostRule(options: KubernetesOptions, logger: Logger): void {
  const rules = options.tenantRules?.namespaceHosts ?? [];
  const watched = new Set(options.namespaces);
  if (rules.length > 0 || watched.size === 1) return;
  logEvent(logger, 'host_ownership_unset', { namespaces: watched.size === 0 ? 'all' : [...watched] },
    'several namespaces are watched and no --namespace-hosts rule is given: a host belongs to the namespace that claims it first');
}
