/**
 * The one policy source of a run: the operator's files (`--policy-file`), or
 * AudiencePolicy objects through the Kubernetes API. The Kubernetes side
 * (and with it the Kubernetes client) is loaded only in Kubernetes mode.
 */
import type { KubernetesOptions, KubernetesPolicies } from '../kubernetes/kubernetes-policies.ts';
import { FilePolicySource } from '../sources/file-policy-source.ts';
import type { PolicySource, PolicySourceContext } from '../sources/policy-source.ts';
import { logEvent } from '../obs/log-events.ts';

export interface ChosenPolicySource {
  readonly source: PolicySource;
  /** The same source, typed, when it is the Kubernetes side (its status writer and Lease). */
  readonly kubernetes: KubernetesPolicies | undefined;
}

/** Creates the source the service drives (tests hand the service their own). */
export type OpenPolicySource = (context: PolicySourceContext) => Promise<ChosenPolicySource>;

export interface PolicySourceOptions {
  /** Policy files or folders; used when `kubernetes` is not given. */
  readonly policyFiles: readonly string[];
  readonly kubernetes?: KubernetesOptions | undefined;
}

export async function policySourceFor(options: PolicySourceOptions, context: PolicySourceContext): Promise<ChosenPolicySource> {
  if (options.kubernetes === undefined) return { source: filePolicySource(options.policyFiles, context), kubernetes: undefined };
  const kubernetes = (await import('../kubernetes/kubernetes-policies.ts')).createKubernetesPolicies(options.kubernetes, context);
  return { source: kubernetes, kubernetes };
}

/** Files: a refused reload keeps the whole last good set, so its refusals are counted here, not by the store. */
function filePolicySource(paths: readonly string[], { store, logger, events }: PolicySourceContext): FilePolicySource {
  return new FilePolicySource(paths, store, {
    applied: () => { events.rejected(0); },
    rejected: (problems) => {
      events.rejected(new Set(problems.map((problem) => problem.origin)).size);
      for (const problem of problems) {
        logEvent(
          logger, 'policy_rejected', { origin: problem.origin, field: problem.path, problem: problem.message },
          'policy update rejected; the last good policies keep serving',
        );
      }
    },
    failed: (error) => {
      logEvent(logger, 'policy_source_failed', { error: error.message }, 'policy files unreadable; the last good policies keep serving');
    },
  });
}
