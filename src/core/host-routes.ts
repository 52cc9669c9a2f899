/**
 * The routing tables of one snapshot: per host pattern, the path-prefix routes
 * and RFC 9728 metadata paths of the policies claiming it, and the policies
 * that lose a host and prefix to an older one. Built once per snapshot; read
 * on every request by `matchRoute` (src/core/route-match.ts).
 *
 * When hosts belong to namespaces (Kubernetes mode), the tables still hold
 * every namespace's routes: which namespace serves a host is decided per
 * request from the candidate tables (src/core/host-ownership.ts), and only
 * its routes are matched. Path conflicts are then counted within a namespace.
 */
import { foldCase } from './path-readings.ts';
import type { RuntimePolicy } from './runtime-policy.ts';

export interface PolicyConflict {
  readonly policy: RuntimePolicy;
  readonly winner: RuntimePolicy;
  /** The host or host pattern where `winner` decides instead of `policy`. */
  readonly host: string;
  /** The path prefix both claim; undefined when another namespace owns the host outright. */
  readonly pathPrefix: string | undefined;
}

export interface Route {
  readonly prefix: string;
  /** `prefix` in ASCII lower case, for case-folded readings of a path. */
  readonly folded: string;
  readonly policy: RuntimePolicy;
}

export interface HostRoutes {
  /** `a.example.com` or `*.example.com`. */
  readonly pattern: string;
  /** Longest prefix first. */
  readonly routes: readonly Route[];
  /** Metadata path → the policies answering it, oldest first (and the same, case-folded). */
  readonly metadata: ReadonlyMap<string, readonly RuntimePolicy[]>;
  readonly foldedMetadata: ReadonlyMap<string, readonly RuntimePolicy[]>;
  /** The oldest policy claiming this pattern: whose namespace owns it when hosts are owned. */
  readonly oldest: RuntimePolicy;
  /** Per namespace (`''` when hosts are not owned): the only policy reachable here, or null when there are several. */
  readonly solo: ReadonlyMap<string, RuntimePolicy | null>;
  /** Some prefix or metadata path has an upper-case letter, so a case-folded reading may select differently. */
  readonly hasUpperCase: boolean;
}

export interface HostTables {
  readonly exact: ReadonlyMap<string, HostRoutes>;
  /** Wildcard tables with their suffix (`.example.com`), longest suffix first. */
  readonly wildcards: readonly (HostRoutes & { readonly suffix: string })[];
  /** Policies that lose a host pattern and path prefix to an older policy (of their namespace, when hosts are owned). */
  readonly pathConflicts: readonly PolicyConflict[];
}

export function olderFirst(a: RuntimePolicy, b: RuntimePolicy): number {
  return a.age[0] - b.age[0] || a.age[1] - b.age[1] || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

interface Draft {
  pattern: string;
  routes: Route[];
  metadata: Map<string, RuntimePolicy[]>;
  foldedMetadata: Map<string, RuntimePolicy[]>;
  oldest: RuntimePolicy;
  solo: Map<string, RuntimePolicy | null>;
  hasUpperCase: boolean;
}

function reachable(draft: Draft, scope: string, policy: RuntimePolicy): void {
  const solo = draft.solo.get(scope);
  if (solo === undefined) draft.solo.set(scope, policy);
  else if (solo !== policy) draft.solo.set(scope, null);
}

function answer(table: Map<string, RuntimePolicy[]>, path: string, policy: RuntimePolicy): void {
  const holders = table.get(path);
  if (holders === undefined) table.set(path, [policy]);
  else if (!holders.includes(policy)) holders.push(policy);
}

/** `policies` oldest first. */
export function buildHostTables(policies: readonly RuntimePolicy[], namespaceOwnsHosts: boolean): HostTables {
  const drafts = new Map<string, Draft>();
  const pathConflicts: PolicyConflict[] = [];
  const claims = new Map<string, RuntimePolicy>();
  for (const policy of policies) {
    const scope = namespaceOwnsHosts ? policy.namespace : '';
    for (const pattern of policy.hosts) {
      let draft = drafts.get(pattern);
      if (draft === undefined) {
        draft = {
          pattern, routes: [], metadata: new Map(), foldedMetadata: new Map(), oldest: policy, solo: new Map(), hasUpperCase: false,
        };
        drafts.set(pattern, draft);
      }
      for (const prefix of policy.pathPrefixes) {
        const claimKey = `${scope} ${pattern} ${prefix}`;
        const winner = claims.get(claimKey);
        if (winner === policy) continue; // a repeat within one policy is no conflict
        if (winner !== undefined) {
          pathConflicts.push({ policy, winner, host: pattern, pathPrefix: prefix });
          continue;
        }
        claims.set(claimKey, policy);
        draft.routes.push({ prefix, folded: foldCase(prefix), policy });
        draft.hasUpperCase ||= /[A-Z]/.test(prefix);
      }
      answer(draft.metadata, policy.metadataPath, policy);
      answer(draft.foldedMetadata, foldCase(policy.metadataPath), policy);
      draft.hasUpperCase ||= /[A-Z]/.test(policy.metadataPath);
      reachable(draft, scope, policy);
    }
  }
  const exact = new Map<string, HostRoutes>();
  const wildcards: (HostRoutes & { readonly suffix: string })[] = [];
  for (const draft of drafts.values()) {
    draft.routes.sort((a, b) => b.prefix.length - a.prefix.length);
    if (draft.pattern.startsWith('*.')) wildcards.push({ ...draft, suffix: draft.pattern.slice(1) });
    else exact.set(draft.pattern, draft);
  }
  wildcards.sort((a, b) => b.suffix.length - a.suffix.length);
  return { exact, wildcards, pathConflicts };
}
