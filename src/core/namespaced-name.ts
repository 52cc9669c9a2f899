/**
 * `NAMESPACE/NAME`: how a policy is identified (`RuntimePolicy.id`, the `policy`
 * field of logs, docs/contract.md's word list) and how Kubernetes names any
 * namespaced object (a Secret, a watched object), as kubectl prints it. Built
 * here only, so every place agrees on one spelling: a namespace and a name are
 * DNS labels and subdomains, neither can contain `/`, so the id is unambiguous.
 */
export function namespacedName(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}
