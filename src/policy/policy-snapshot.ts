/**
 * An immutable set of compiled policies with precomputed request routing
 * (SPEC.md 1.2 "Policy selection"). A new snapshot is built for every change and
 * swapped in atomically, so a request never sees a half-built one.
 *
 * Selection order: an explicit `NAMESPACE/NAME` reference; otherwise the host
 * (exact before wildcard, the more specific wildcard first) and, within it, the
 * longest path prefix that matches at a segment boundary. When policies claim
 * the same host pattern and prefix, the oldest wins and the others are
 * reported as conflicts.
 */
import type { HttpRequestView } from '../core/http-request.ts';
import type { RuntimePolicy } from './runtime-policy.ts';

export interface PolicySelection {
  readonly policy: RuntimePolicy;
  /** The request is a GET/HEAD for this policy's RFC 9728 metadata document. */
  readonly metadataRequest: boolean;
}

/**
 * Two policies that accept the same audience value: a token issued for one is
 * accepted by the other, which re-opens cross-service replay between them.
 */
export interface AudienceOverlap {
  readonly policy: RuntimePolicy;
  readonly other: RuntimePolicy;
  /** The shared accepted audience, in canonical form. */
  readonly audience: string;
}

export interface PolicyConflict {
  readonly policy: RuntimePolicy;
  readonly winner: RuntimePolicy;
  readonly host: string;
  readonly pathPrefix: string;
}

interface Route {
  readonly prefix: string;
  readonly policy: RuntimePolicy;
}

interface HostRoutes {
  readonly routes: Route[]; // longest prefix first
  readonly metadata: Map<string, RuntimePolicy>; // metadata path → policy
}

function olderFirst(a: RuntimePolicy, b: RuntimePolicy): number {
  return a.age[0] - b.age[0] || a.age[1] - b.age[1] || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export function prefixMatches(prefix: string, path: string): boolean {
  if (prefix === '/') return true;
  return path === prefix || (path.startsWith(prefix) && path.charCodeAt(prefix.length) === 0x2f);
}

export class PolicySnapshot {
  readonly generation: number;
  readonly policies: readonly RuntimePolicy[];
  readonly conflicts: readonly PolicyConflict[];
  /** Every (policy, other) pair sharing an accepted audience, in both directions. */
  readonly audienceOverlaps: readonly AudienceOverlap[];
  readonly #byId = new Map<string, RuntimePolicy>();
  readonly #exactHosts = new Map<string, HostRoutes>();
  /** `.example.com` suffixes, longest first. */
  readonly #wildcardHosts: (HostRoutes & { readonly suffix: string })[] = [];

  constructor(policies: readonly RuntimePolicy[], generation: number) {
    this.generation = generation;
    this.policies = Object.freeze([...policies].sort(olderFirst));
    const conflicts: PolicyConflict[] = [];
    const claims = new Map<string, RuntimePolicy>();
    const wildcards = new Map<string, HostRoutes>();
    for (const policy of this.policies) {
      this.#byId.set(policy.id, policy);
      for (const host of policy.hosts) {
        const table = host.startsWith('*.') ? wildcards : this.#exactHosts;
        const key = host.startsWith('*.') ? host.slice(1) : host;
        let hostRoutes = table.get(key);
        if (hostRoutes === undefined) {
          hostRoutes = { routes: [], metadata: new Map() };
          table.set(key, hostRoutes);
        }
        for (const prefix of policy.pathPrefixes) {
          const claimKey = `${host} ${prefix}`;
          const winner = claims.get(claimKey);
          if (winner === policy) continue; // a repeat within one policy is no conflict
          if (winner !== undefined) {
            conflicts.push({ policy, winner, host, pathPrefix: prefix });
            continue;
          }
          claims.set(claimKey, policy);
          hostRoutes.routes.push({ prefix, policy });
        }
        if (!hostRoutes.metadata.has(policy.metadataPath)) hostRoutes.metadata.set(policy.metadataPath, policy);
      }
    }
    const byLongestPrefix = (a: Route, b: Route): number => b.prefix.length - a.prefix.length;
    for (const hostRoutes of this.#exactHosts.values()) hostRoutes.routes.sort(byLongestPrefix);
    for (const [suffix, hostRoutes] of wildcards) {
      hostRoutes.routes.sort(byLongestPrefix);
      this.#wildcardHosts.push({ suffix, ...hostRoutes });
    }
    this.#wildcardHosts.sort((a, b) => b.suffix.length - a.suffix.length);
    this.conflicts = Object.freeze(conflicts);
    this.audienceOverlaps = Object.freeze(findAudienceOverlaps(this.policies));
    Object.freeze(this);
  }

  byId(id: string): RuntimePolicy | undefined {
    return this.#byId.get(id);
  }

  select(request: HttpRequestView): PolicySelection | undefined {
    const wantsMetadata = request.method === 'GET' || request.method === 'HEAD';
    if (request.policyReference !== undefined) {
      const policy = this.#byId.get(request.policyReference);
      if (policy === undefined) return undefined;
      return { policy, metadataRequest: wantsMetadata && request.path === policy.metadataPath };
    }
    const candidates = this.#hostCandidates(request.host);
    if (wantsMetadata) {
      for (const hostRoutes of candidates) {
        const policy = hostRoutes.metadata.get(request.path);
        if (policy !== undefined) return { policy, metadataRequest: true };
      }
    }
    for (const hostRoutes of candidates) {
      for (const route of hostRoutes.routes) {
        if (prefixMatches(route.prefix, request.path)) return { policy: route.policy, metadataRequest: false };
      }
    }
    return undefined;
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

function findAudienceOverlaps(policies: readonly RuntimePolicy[]): AudienceOverlap[] {
  const byAudience = new Map<string, RuntimePolicy[]>();
  for (const policy of policies) {
    for (const audience of policy.acceptedAudiences) {
      const holders = byAudience.get(audience);
      if (holders === undefined) byAudience.set(audience, [policy]);
      else holders.push(policy);
    }
  }
  const overlaps: AudienceOverlap[] = [];
  for (const [audience, holders] of byAudience) {
    if (holders.length < 2) continue;
    for (const policy of holders) {
      for (const other of holders) if (other !== policy) overlaps.push({ policy, other, audience });
    }
  }
  return overlaps;
}
