/**
 * An immutable set of compiled policies with precomputed request routing
 * (README "Which policy handles a request"). A new snapshot is built for every
 * change and swapped in atomically, so a request never sees a half-built one.
 *
 * Selection order: an explicit `NAMESPACE/NAME` reference; otherwise the host
 * (exact before wildcard, the more specific wildcard first) and, within it, the
 * longest path prefix that matches at a segment boundary. When policies claim
 * the same host pattern and prefix, the oldest wins and the others are
 * reported as conflicts.
 *
 * With `namespaceOwnsHosts` (Kubernetes mode), a host is served by one
 * namespace only, the one with the oldest claim on it (src/core/host-ownership.ts).
 *
 * A selection is `ambiguous` when another common reading of the path
 * (src/core/path-readings.ts) selects a different policy: what routes the
 * request behind the proxy might read the path that way, so it must be denied.
 */
import type { HttpRequestView } from './http-request.ts';
import { findAudienceOverlaps, type AudienceOverlap } from './audience-overlaps.ts';
import { buildHostTables, olderFirst, type HostRoutes, type PolicyConflict } from './host-routes.ts';
import { matchMetadata, matchPrefix, matchRoute } from './route-match.ts';
import { namespaceConflicts, ownerOf } from './host-ownership.ts';
import { foldCase, mayReadDifferently, pathReadings } from './path-readings.ts';
import type { RuntimePolicy } from './runtime-policy.ts';

export type { AudienceOverlap } from './audience-overlaps.ts';
export type { PolicyConflict } from './host-routes.ts';
export { prefixMatches } from './route-match.ts';

export interface PolicySelection {
  readonly policy: RuntimePolicy;
  /** The request is a GET/HEAD for this policy's RFC 9728 metadata document (never when ambiguous). */
  readonly metadataRequest: boolean;
  /** Some reading of the path selects another policy: deny `ambiguous_path`. `policy` is the raw spelling's. */
  readonly ambiguous: boolean;
}

export interface PolicySnapshotOptions {
  /** A host belongs to one namespace: the one whose claim on it is oldest (Kubernetes mode). */
  readonly namespaceOwnsHosts?: boolean;
}

const UPPER_CASE = /[A-Z]/;

export class PolicySnapshot {
  readonly generation: number;
  readonly policies: readonly RuntimePolicy[];
  readonly conflicts: readonly PolicyConflict[];
  /** Every (policy, other) pair sharing an accepted audience, in both directions. */
  readonly audienceOverlaps: readonly AudienceOverlap[];
  readonly #byId = new Map<string, RuntimePolicy>();
  readonly #namespaceOwnsHosts: boolean;
  readonly #exactHosts: ReadonlyMap<string, HostRoutes>;
  /** `.example.com` suffixes, longest first. */
  readonly #wildcardHosts: readonly (HostRoutes & { readonly suffix: string })[];

  constructor(policies: readonly RuntimePolicy[], generation: number, options: PolicySnapshotOptions = {}) {
    this.generation = generation;
    this.policies = Object.freeze([...policies].sort(olderFirst));
    for (const policy of this.policies) this.#byId.set(policy.id, policy);
    this.#namespaceOwnsHosts = options.namespaceOwnsHosts === true;
    const tables = buildHostTables(this.policies, this.#namespaceOwnsHosts);
    this.#exactHosts = tables.exact;
    this.#wildcardHosts = tables.wildcards;
    const hostConflicts = this.#namespaceOwnsHosts ? namespaceConflicts(this.policies) : [];
    this.conflicts = Object.freeze([...tables.pathConflicts, ...hostConflicts]);
    this.audienceOverlaps = Object.freeze(findAudienceOverlaps(this.policies));
    Object.freeze(this);
  }

  byId(id: string): RuntimePolicy | undefined {
    return this.#byId.get(id);
  }

  select(request: HttpRequestView): PolicySelection | undefined {
    const wantsMetadata = request.method === 'GET' || request.method === 'HEAD';
    if (request.policyReference !== undefined) {
      // Envoy named the policy for this route: the path's spelling plays no part.
      const policy = this.#byId.get(request.policyReference);
      if (policy === undefined) return undefined;
      return { policy, metadataRequest: wantsMetadata && request.path === policy.metadataPath, ambiguous: false };
    }
    const candidates = this.#hostCandidates(request.host);
    if (candidates.length === 0) return undefined;
    const owner = this.#namespaceOwnsHosts ? ownerOf(candidates) : undefined;
    const metadata = wantsMetadata ? matchMetadata(candidates, owner, request.path, false) : undefined;
    const policy = metadata ?? matchPrefix(candidates, owner, request.path, false);
    if (policy === undefined) return undefined;
    const ambiguous = this.#readsDifferently(candidates, owner, request.path, wantsMetadata, policy);
    return { policy, metadataRequest: metadata !== undefined && !ambiguous, ambiguous };
  }

  /**
   * True when some reading of `path` selects a policy other than `selected`
   * (a reading that selects none is no conflict). Cheap in the common case:
   * nothing to read when no transform can change the path and no case fold
   * matters, or when `selected` is the only policy reachable on the host.
   */
  #readsDifferently(
    candidates: readonly HostRoutes[], owner: string | undefined, path: string, wantsMetadata: boolean, selected: RuntimePolicy,
  ): boolean {
    const foldedPrefixes = candidates.length === 1
      ? (candidates[0] as HostRoutes).hasUpperCase
      : candidates.some((table) => table.hasUpperCase);
    if (!foldedPrefixes && !mayReadDifferently(path)) return false;
    const scope = owner ?? '';
    if (candidates.every((table) => { const solo = table.solo.get(scope); return solo === undefined || solo === selected; })) return false;
    const { readings, complete } = pathReadings(path);
    if (!complete) return true; // too many spellings to tell apart: fail closed
    const selects = (reading: string, folded: boolean): boolean => {
      const other = matchRoute(candidates, owner, reading, folded, wantsMetadata);
      return other !== undefined && other !== selected;
    };
    return readings.some((reading, index) => (index > 0 && selects(reading, false))
      || ((foldedPrefixes || UPPER_CASE.test(reading)) && selects(foldCase(reading), true)));
  }

  #hostCandidates(host: string): HostRoutes[] {
    const candidates: HostRoutes[] = [];
    const exact = this.#exactHosts.get(host);
    if (exact !== undefined) candidates.push(exact);
    for (const wildcard of this.#wildcardHosts) {
      if (host.length > wildcard.suffix.length && host.endsWith(wildcard.suffix)) candidates.push(wildcard);
    }
    return candidates;
  }
}
