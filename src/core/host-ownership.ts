/**
 * Host ownership between namespaces when the operator gave no rule
 * (`--namespace-hosts`): a host belongs to the namespace whose claim on it is
 * oldest, and only that namespace's policies serve it. A policy author is
 * trusted for their own namespace only, so neither a longer path prefix, nor
 * an exact host under another namespace's wildcard, nor a narrower wildcard
 * may take requests from the namespace that claimed the host first; each of
 * those is a conflict, reported on the younger policy.
 *
 * Host patterns nest: an exact host lies inside the wildcards of its parent
 * domains, `*.a.example.com` inside `*.example.com`. For a request host, the
 * claiming patterns are the exact host and the wildcards above it (the
 * snapshot's candidate tables), and the owner is the oldest policy among them:
 * `ownerOf`. `namespaceConflicts` reports, for every claim, the regions of its
 * pattern where that owner is another namespace.
 */
import { olderFirst, type HostRoutes, type PolicyConflict } from './host-routes.ts';
import type { RuntimePolicy } from './runtime-policy.ts';

/** The namespace that serves a host, from the tables of every pattern matching it. */
export function ownerOf(candidates: readonly HostRoutes[]): string | undefined {
  let oldest: RuntimePolicy | undefined;
  for (const table of candidates) {
    if (oldest === undefined || olderFirst(table.oldest, oldest) < 0) oldest = table.oldest;
  }
  return oldest?.namespace;
}

/** The wildcard patterns strictly containing `pattern`: `*.b.c` and `*.c` for `a.b.c` or `*.a.b.c`. */
function containers(pattern: string): string[] {
  const labels = (pattern.startsWith('*.') ? pattern.slice(2) : pattern).split('.');
  return labels.slice(1).map((_, index) => `*.${labels.slice(index + 1).join('.')}`);
}

/** `policies` oldest first. */
export function namespaceConflicts(policies: readonly RuntimePolicy[]): PolicyConflict[] {
  const claimants = new Map<string, RuntimePolicy[]>(); // pattern → policies, oldest first
  for (const policy of policies) {
    for (const pattern of policy.hosts) {
      const list = claimants.get(pattern);
      if (list === undefined) claimants.set(pattern, [policy]);
      else list.push(policy);
    }
  }
  const inside = new Map<string, string[]>(); // wildcard → claimed patterns strictly inside it
  const above = new Map<string, string[]>(); // pattern → claimed wildcards strictly containing it
  for (const pattern of claimants.keys()) {
    const claimed = containers(pattern).filter((container) => claimants.has(container));
    above.set(pattern, claimed);
    for (const container of claimed) {
      const list = inside.get(container);
      if (list === undefined) inside.set(container, [pattern]);
      else list.push(pattern);
    }
  }
  /** The oldest policy claiming some host of `region` that no narrower pattern takes. */
  const ownerOfRegion = (region: string): RuntimePolicy => {
    let oldest = (claimants.get(region) as RuntimePolicy[])[0] as RuntimePolicy;
    for (const container of above.get(region) ?? []) {
      const candidate = (claimants.get(container) as RuntimePolicy[])[0] as RuntimePolicy;
      if (olderFirst(candidate, oldest) < 0) oldest = candidate;
    }
    return oldest;
  };

  const conflicts: PolicyConflict[] = [];
  const reported = new Set<string>();
  for (const policy of policies) {
    for (const pattern of policy.hosts) {
      const regions = [pattern, ...(inside.get(pattern) ?? [])
        .filter((narrower) => (claimants.get(narrower) ?? []).some((claimant) => claimant.namespace !== policy.namespace))];
      for (const region of regions) {
        const winner = ownerOfRegion(region);
        const key = `${policy.id} ${region}`;
        if (winner.namespace === policy.namespace || reported.has(key)) continue;
        reported.add(key);
        conflicts.push({ policy, winner, host: region, pathPrefix: undefined });
      }
    }
  }
  return conflicts;
}
