/**
 * What `serve` would warn about for a set of valid policies, found the way
 * serve finds it: the documents go into a PolicyStore, and the conflicts and
 * audience overlaps are the ones its PolicySnapshot reports. With an operator
 * host rule (`--namespace-hosts`), Kubernetes mode's host ownership applies
 * too: a policy claiming a host its namespace may not claim would be refused,
 * and a host belongs to one namespace. Every warning names the file, the
 * document index and the field.
 */
import type { PolicySnapshot } from '../../core/policy-snapshot.ts';
import type { RuntimePolicy } from '../../core/runtime-policy.ts';
import { DEFAULT_NAMESPACE } from '../../policy/compile-policy.ts';
import { hostNotAllowed } from '../../policy/host-not-allowed-rule.ts';
import type { NamespaceHostRule } from '../../policy/namespace-hosts.ts';
import type { ParsedPolicyDocument } from '../../policy/policy-documents.ts';
import { PolicyStore } from '../../policy/policy-store.ts';
import { createdAt } from '../../sources/file-policy-source.ts';
import { audiencePointer, hostPointer, pathPrefixPointer } from './field-pointers.ts';

export interface PolicyWarning {
  /** `FILE#INDEX`, or a path for warnings about files and folders. */
  readonly origin: string;
  /** JSON pointer of the field; empty for a warning about a path. */
  readonly path: string;
  readonly message: string;
}

function idOf(policy: ParsedPolicyDocument): string {
  return `${policy.document.metadata.namespace ?? DEFAULT_NAMESPACE}/${policy.document.metadata.name}`;
}

/** Warnings for the valid documents `policies`, in load order. */
export function policyWarnings(policies: readonly ParsedPolicyDocument[], namespaceHosts: readonly NamespaceHostRule[]): PolicyWarning[] {
  const warnings: PolicyWarning[] = [];
  const kubernetesRules = namespaceHosts.length > 0;
  const serving: ParsedPolicyDocument[] = [];
  for (const policy of policies) {
    const refused = kubernetesRules
      ? hostNotAllowed(
        policy.document,
        policy.document.metadata.namespace ?? DEFAULT_NAMESPACE,
        { namespaceHosts, secretFileDirs: [], allowInsecureEndpoints: true },
      )
      : [];
    for (const problem of refused) {
      warnings.push({
        origin: policy.origin,
        path: problem.path,
        message: `in Kubernetes mode this policy would be refused (${problem.reason ?? 'Invalid'}): ${problem.message}`,
      });
    }
    if (refused.length === 0) serving.push(policy);
  }
  const store = new PolicyStore({ namespaceOwnsHosts: kubernetesRules });
  const { snapshot } = store.replace(serving.map((policy) => ({ ...policy, createdAt: createdAt(policy) })), 0);
  const byId = new Map(serving.map((policy) => [idOf(policy), policy]));
  return [...warnings, ...snapshotWarnings(snapshot, byId)];
}

function snapshotWarnings(snapshot: PolicySnapshot, byId: ReadonlyMap<string, ParsedPolicyDocument>): PolicyWarning[] {
  const document = (policy: RuntimePolicy): ParsedPolicyDocument => byId.get(policy.id) as ParsedPolicyDocument;
  const named = (policy: RuntimePolicy): string => `${policy.id} (${document(policy).origin})`;
  const warnings: PolicyWarning[] = [];
  for (const { policy, winner, host, pathPrefix } of snapshot.conflicts) {
    const { origin, document: doc } = document(policy);
    warnings.push(pathPrefix === undefined
      ? {
          origin,
          path: hostPointer(doc, host),
          message: `host ${host} belongs to namespace ${winner.namespace}, whose policy ${named(winner)} claimed it first: ` +
            'this policy serves nothing there',
        }
      : {
          origin,
          path: pathPrefixPointer(doc, pathPrefix),
          message: `host ${host} with path prefix ${pathPrefix} is also claimed by ${named(winner)}, which is older or comes first: ` +
            'that policy decides those requests, this one none of them',
        });
  }
  for (const { policy, other, audience } of snapshot.audienceOverlaps) {
    // Each pair once, as serve logs it.
    if (policy.id > other.id) continue;
    const { origin, document: doc } = document(policy);
    warnings.push({
      origin,
      path: audiencePointer(doc, audience),
      message: `audience ${audience} is also accepted by ${named(other)}: a token issued for one of the two is accepted by the other`,
    });
  }
  return warnings;
}
