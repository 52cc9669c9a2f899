/**
 * Kubernetes RBAC evaluated the way the API server does ("Using RBAC
 * Authorization"), for the manifests this repository ships: a ClusterRoleBinding
 * grants its ClusterRole's rules everywhere; a RoleBinding grants its Role's
 * (or a ClusterRole's) rules only in the binding's own namespace; a request
 * without a namespace (a cluster-wide list or watch) needs a cluster-wide grant.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from './helm.ts';

export interface RBACRule { readonly apiGroups: string[]; readonly resources: string[]; readonly verbs: string[]; readonly resourceNames?: string[] }
export interface RBACAccess { readonly group: string; readonly resource: string; readonly verb: string; readonly namespace: string | undefined; readonly name: string | undefined }
/** A rule and where it applies (undefined: every namespace and cluster-wide requests). */
export interface RBACGrant { readonly rule: RBACRule; readonly namespace: string | undefined }

interface RBACManifest {
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly rules?: RBACRule[];
  readonly roleRef?: { readonly kind: string; readonly name: string };
  readonly subjects?: { readonly kind: string; readonly name: string; readonly namespace?: string }[];
}

export const SERVICE_ACCOUNT = { namespace: 'audience-guard', name: 'audience-guard' };

/** The manifests of deploy/kubernetes/rbac.yaml. */
export function plainRBAC(): RBACManifest[] {
  const text = readFileSync(join(REPO_ROOT, 'deploy', 'kubernetes', 'rbac.yaml'), 'utf8');
  return parseAllDocuments(text).map((document) => document.toJS() as RBACManifest);
}

/** Every rule bound to the service account, with the namespace it is bound in. */
export function grantsOf(manifests: readonly unknown[], subject = SERVICE_ACCOUNT): RBACGrant[] {
  const all = manifests as readonly RBACManifest[];
  const role = (kind: string, name: string, namespace: string | undefined): RBACManifest | undefined =>
    all.find((manifest) => manifest.kind === kind && manifest.metadata.name === name && (kind === 'ClusterRole' || manifest.metadata.namespace === namespace));
  return all.flatMap((binding) => {
    if (binding.kind !== 'ClusterRoleBinding' && binding.kind !== 'RoleBinding') return [];
    if (!(binding.subjects ?? []).some((entry) => entry.kind === 'ServiceAccount' && entry.name === subject.name && entry.namespace === subject.namespace)) return [];
    const where = binding.kind === 'ClusterRoleBinding' ? undefined : binding.metadata.namespace;
    const ref = binding.roleRef;
    if (ref === undefined || (binding.kind === 'ClusterRoleBinding' && ref.kind !== 'ClusterRole')) return [];
    return (role(ref.kind, ref.name, where)?.rules ?? []).map((rule) => ({ rule, namespace: where }));
  });
}

export function allows(grants: readonly RBACGrant[], access: RBACAccess): boolean {
  return grants.some(({ rule, namespace }) =>
    (namespace === undefined || namespace === access.namespace)
    && rule.apiGroups.includes(access.group) && rule.resources.includes(access.resource) && rule.verbs.includes(access.verb)
    && (rule.resourceNames === undefined || (access.name !== undefined && rule.resourceNames.includes(access.name))));
}
