/**
 * Tenant rule: a policy may claim only hosts that the operator's rule
 * (`--namespace-hosts`) gives its namespace. The claimed hosts are `spec.hosts`,
 * or else the host of `spec.resource` (the default), so leaving `hosts` out
 * claims nothing more. A namespace the rule does not list owns no host. No
 * rule at all: nothing to check here; hosts then go to the namespace with the
 * oldest claim (src/core/host-ownership.ts).
 *
 * The message names only the policy's own namespace and its own patterns,
 * never another namespace's.
 */
import { hostPatternCovers } from './namespace-hosts.ts';
import type { AudiencePolicyDocument } from './policy-schema.ts';
import type { TenantRule } from './tenant-rules.ts';
import type { PolicyProblem } from './validate-policy.ts';

function claimedHosts(policy: AudiencePolicyDocument): { readonly path: string; readonly host: string }[] {
  const { hosts, resource } = policy.spec;
  if (hosts !== undefined) return hosts.map((host, index) => ({ path: `/spec/hosts/${String(index)}`, host: host.toLowerCase() }));
  return [{ path: '/spec/resource', host: new URL(resource).hostname.toLowerCase() }];
}

export const hostNotAllowed: TenantRule = (policy, namespace, options) => {
  if (options.namespaceHosts.length === 0) return [];
  const patterns = options.namespaceHosts.find((rule) => rule.namespace === namespace)?.patterns ?? [];
  const allowed = patterns.length === 0
    ? `the operator assigned no hosts to namespace "${namespace}"`
    : `namespace "${namespace}" may claim only ${patterns.join(', ')}`;
  return claimedHosts(policy)
    .filter(({ host }) => !patterns.some((pattern) => hostPatternCovers(pattern, host)))
    .map(({ path, host }): PolicyProblem => ({
      path, message: `host ${host} is not allowed: ${allowed} (--namespace-hosts)`, reason: 'HostNotAllowed',
    }));
};
