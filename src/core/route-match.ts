/**
 * Matching one path against the routing tables of a host (src/core/host-routes.ts):
 * the metadata path for GET/HEAD first, then the longest path prefix of the
 * most specific host pattern, at a segment boundary.
 */
import type { HostRoutes } from './host-routes.ts';
import type { RuntimePolicy } from './runtime-policy.ts';

export function prefixMatches(prefix: string, path: string): boolean {
  if (prefix === '/') return true;
  return path === prefix || (path.startsWith(prefix) && path.charCodeAt(prefix.length) === 0x2f);
}

/** The policy whose RFC 9728 metadata path `path` is, on the most specific host that has one. */
export function matchMetadata(
  candidates: readonly HostRoutes[], owner: string | undefined, path: string, folded: boolean,
): RuntimePolicy | undefined {
  for (const table of candidates) {
    const holders = (folded ? table.foldedMetadata : table.metadata).get(path);
    const policy = holders === undefined ? undefined
      : owner === undefined ? holders[0]
        : holders.find((holder) => holder.namespace === owner);
    if (policy !== undefined) return policy;
  }
  return undefined;
}

/** The policy of the longest prefix matching `path` on the most specific host that has one. */
export function matchPrefix(
  candidates: readonly HostRoutes[], owner: string | undefined, path: string, folded: boolean,
): RuntimePolicy | undefined {
  for (const table of candidates) {
    for (const route of table.routes) {
      if (owner !== undefined && route.policy.namespace !== owner) continue;
      if (prefixMatches(folded ? route.folded : route.prefix, path)) return route.policy;
    }
  }
  return undefined;
}

/**
 * The policy a path selects among `candidates` (the tables matching the
 * host, most specific first): a metadata path for GET/HEAD first, then the
 * longest prefix. `owner` limits the match to one namespace's policies;
 * `folded` compares a case-folded path with folded prefixes.
 */
export function matchRoute(
  candidates: readonly HostRoutes[], owner: string | undefined, path: string, folded: boolean, wantsMetadata: boolean,
): RuntimePolicy | undefined {
  return (wantsMetadata ? matchMetadata(candidates, owner, path, folded) : undefined)
    ?? matchPrefix(candidates, owner, path, folded);
}
