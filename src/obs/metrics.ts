/**
 * Prometheus metrics (docs/contract.md §3.2) on the service's own registry.
 * Label values come only from configuration (namespace, policy, issuer) or
 * closed sets (result, reason, enforced, state) — never from token or request
 * content. The series themselves are defined in src/obs/metric-definitions.ts.
 */
import { Registry, collectDefaultMetrics, type Counter } from 'prom-client';
import { REASONS, type Reason } from '../core/reasons.ts';
import type { Frontend } from '../runner/check-input.ts';
import { defineMetrics } from './metric-definitions.ts';
import type { McpLabels } from '../core/decision.ts';
import {
  LIMITS, POLICY_STATES, type CheckResult, type IntrospectionResultLabel, type Limit, type McpCheckResult, type PolicyState,
} from './metric-label-sets.ts';

export class Metrics {
  readonly registry = new Registry();
  readonly #series = defineMetrics(this.registry, {
    countSuppressedLines: () => { this.#countSuppressedLines(); },
    tokenCacheSize: () => this.#tokenCacheSize(),
  });
  readonly #checkChildren = new Map<string, Counter.Internal>();
  readonly #rejectionChildren = new Map<string, Counter.Internal>();
  readonly #mcpChildren = new Map<string, Counter.Internal>();
  readonly #durationByResult = {
    allowed: this.#series.duration.labels('allowed'), denied: this.#series.duration.labels('denied'),
    error: this.#series.duration.labels('error'),
  };
  readonly #tokenCacheHits = this.#series.tokenCacheLookups.labels('hit');
  readonly #tokenCacheMisses = this.#series.tokenCacheLookups.labels('miss');
  #tokenCacheSize: () => number = () => 0;
  #logBufferDrops: () => number = () => 0;
  #logBufferDropsCounted = 0;
  /** Suppressed lines not yet added to the counter: counted here on the flood's hot path, added at scrape time. */
  readonly #suppressedSinceScrape = Object.fromEntries(REASONS.map((reason) => [reason, 0])) as Record<Reason, number>;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'audience_guard_' });
    for (const state of POLICY_STATES) this.#series.policies.set({ state }, 0);
    for (const limit of LIMITS) this.#series.limitHits.inc({ limit }, 0);
    for (const reason of [...REASONS, 'buffer_full']) this.#series.logLinesSuppressed.inc({ reason }, 0);
  }

  checkStarted(): void {
    this.#series.inFlight.inc();
  }

  checkFinished(): void {
    this.#series.inFlight.dec();
  }

  /** `frontend` (a closed set) defaults to `grpc`, the front end every check came in before there were two. */
  check(namespace: string, policy: string, result: CheckResult, seconds: number, frontend: Frontend = 'grpc'): void {
    const key = `${namespace}\u0000${policy}\u0000${result}\u0000${frontend}`;
    this.#labelled(this.#series.checks, this.#checkChildren, key, { namespace, policy, result, frontend }).inc();
    this.#durationByResult[result].observe(seconds);
  }

  rejection(namespace: string, policy: string, reason: Reason, enforced: boolean, frontend: Frontend = 'grpc'): void {
    const labels = { namespace, policy, reason, enforced: enforced ? 'true' : 'false', frontend } as const;
    const key = `${namespace}\u0000${policy}\u0000${reason}\u0000${labels.enforced}\u0000${frontend}`;
    this.#labelled(this.#series.rejections, this.#rejectionChildren, key, labels).inc();
    if (reason === 'token_too_large') this.#series.limitHits.inc({ limit: 'token_size' });
    if (reason === 'dpop_unavailable') this.#series.limitHits.inc({ limit: 'dpop_replay_cache' });
  }

  /** One check of an MCP call; `labels` are names from the policy or `other` (src/core/mcp-policy.ts), never request text. */
  mcpCheck(namespace: string, policy: string, labels: McpLabels, result: McpCheckResult): void {
    const key = `${namespace}\u0000${policy}\u0000${labels.method}\u0000${labels.tool}\u0000${result}`;
    const values = { namespace, policy, method: labels.method, tool: labels.tool, result };
    this.#labelled(this.#series.mcpChecks, this.#mcpChildren, key, values).inc();
  }

  /**
   * The counter child for these labels, bound once: prom-client hashes a
   * label object on every inc(), which showed in the check path's profile.
   * Keys come from configuration and closed sets, so the map stays small.
   */
  #labelled<T extends string>(
    counter: Counter<T>, children: Map<string, Counter.Internal>, key: string, labels: Readonly<Record<T, string>>,
  ): Counter.Internal {
    let child = children.get(key);
    if (child === undefined) {
      child = counter.labels(labels);
      children.set(key, child);
    }
    return child;
  }

  jwksRefresh(issuer: string, ok: boolean): void {
    this.#series.jwksRefreshes.inc({ issuer, result: ok ? 'success' : 'failure' });
  }

  limitHit(limit: Limit): void {
    this.#series.limitHits.inc({ limit });
  }

  upstreamTokenRequest(namespace: string, policy: string, grant: 'token_exchange' | 'client_credentials', ok: boolean): void {
    this.#series.upstreamRequests.inc({ namespace, policy, grant, result: ok ? 'success' : 'failure' });
  }

  upstreamTokenCache(namespace: string, policy: string, hit: boolean): void {
    this.#series.upstreamCache.inc({ namespace, policy, result: hit ? 'hit' : 'miss' });
  }

  /** `issuer` comes from a policy; `result` from a closed set. */
  introspectionRequest(issuer: string, result: IntrospectionResultLabel): void {
    this.#series.introspectionRequests.inc({ issuer, result });
  }

  audienceOverlaps(policies: number): void {
    this.#series.audienceOverlaps.set(policies);
  }

  tokenCacheLookup(hit: boolean): void {
    (hit ? this.#tokenCacheHits : this.#tokenCacheMisses).inc();
  }

  /** Where `audience_guard_token_cache_entries` reads the cache's size at scrape time. */
  tokenCacheSize(read: () => number): void {
    this.#tokenCacheSize = read;
  }

  /** One token_rejected line suppressed by the log rate limit. */
  logLineSuppressed(reason: Reason): void {
    this.#suppressedSinceScrape[reason] += 1;
  }

  /** Where the `buffer_full` count is read at scrape time: lines the log writer dropped so far. */
  logBufferDrops(read: () => number): void {
    this.#logBufferDrops = read;
  }

  #countSuppressedLines(): void {
    for (const reason of REASONS) {
      const count = this.#suppressedSinceScrape[reason];
      if (count > 0) this.#series.logLinesSuppressed.inc({ reason }, count);
      this.#suppressedSinceScrape[reason] = 0;
    }
    const dropped = this.#logBufferDrops();
    if (dropped > this.#logBufferDropsCounted) {
      this.#series.logLinesSuppressed.inc({ reason: 'buffer_full' }, dropped - this.#logBufferDropsCounted);
    }
    this.#logBufferDropsCounted = Math.max(dropped, this.#logBufferDropsCounted);
  }

  policies(counts: Readonly<Record<PolicyState, number>>): void {
    for (const [state, count] of Object.entries(counts)) this.#series.policies.set({ state }, count);
  }
}
