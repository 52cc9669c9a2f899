/**
 * Prometheus metrics (SPEC.md 3) on the service's own registry. Label values
 * come only from configuration (namespace, policy, issuer) or closed sets
 * (result, reason, enforced, state) — never from token or request content.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Reason } from '../core/reasons.ts';

export type CheckResult = 'allowed' | 'denied' | 'error';
export type PolicyState = 'accepted' | 'rejected' | 'conflicted';

export class Metrics {
  readonly registry = new Registry();
  readonly #checks = new Counter({ name: 'audience_guard_checks_total', help: 'Check calls answered, by policy and result.', labelNames: ['namespace', 'policy', 'result'] as const, registers: [this.registry] });
  readonly #rejections = new Counter({ name: 'audience_guard_rejections_total', help: 'Failed checks by reason; enforced="false" are Permissive-mode audience failures that were allowed.', labelNames: ['namespace', 'policy', 'reason', 'enforced'] as const, registers: [this.registry] });
  readonly #duration = new Histogram({ name: 'audience_guard_check_duration_seconds', help: 'Time to answer a Check call.', labelNames: ['result'] as const, buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25], registers: [this.registry] });
  readonly #jwksRefreshes = new Counter({ name: 'audience_guard_jwks_refreshes_total', help: 'Issuer key set fetches, by issuer and result.', labelNames: ['issuer', 'result'] as const, registers: [this.registry] });
  readonly #inFlight = new Gauge({ name: 'audience_guard_checks_in_flight', help: 'Check calls being decided right now (drained on shutdown).', registers: [this.registry] });
  readonly #audienceOverlaps = new Gauge({ name: 'audience_guard_audience_overlaps', help: 'Policies that accept an audience another policy accepts too (cross-service replay between them).', registers: [this.registry] });
  readonly #policies = new Gauge({ name: 'audience_guard_policies', help: 'Policies by state.', labelNames: ['state'] as const, registers: [this.registry] });
  readonly #tokenCacheLookups = new Counter({ name: 'audience_guard_token_cache_lookups_total', help: 'Verified-token cache lookups, by result (hit: decoding and signature skipped).', labelNames: ['result'] as const, registers: [this.registry] });
  readonly #tokenCacheHits = this.#tokenCacheLookups.labels('hit');
  readonly #tokenCacheMisses = this.#tokenCacheLookups.labels('miss');
  #tokenCacheSize: () => number = () => 0;
  readonly #tokenCacheEntries = new Gauge({
    name: 'audience_guard_token_cache_entries', help: 'Tokens held in the verified-token cache.', registers: [this.registry],
    collect: () => { this.#tokenCacheEntries.set(this.#tokenCacheSize()); },
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'audience_guard_' });
    for (const state of ['accepted', 'rejected', 'conflicted'] as const) this.#policies.set({ state }, 0);
  }

  checkStarted(): void {
    this.#inFlight.inc();
  }

  checkFinished(): void {
    this.#inFlight.dec();
  }

  check(namespace: string, policy: string, result: CheckResult, seconds: number): void {
    this.#checks.inc({ namespace, policy, result });
    this.#duration.observe({ result }, seconds);
  }

  rejection(namespace: string, policy: string, reason: Reason, enforced: boolean): void {
    this.#rejections.inc({ namespace, policy, reason, enforced: enforced ? 'true' : 'false' });
  }

  jwksRefresh(issuer: string, ok: boolean): void {
    this.#jwksRefreshes.inc({ issuer, result: ok ? 'success' : 'failure' });
  }

  audienceOverlaps(policies: number): void {
    this.#audienceOverlaps.set(policies);
  }

  tokenCacheLookup(hit: boolean): void {
    (hit ? this.#tokenCacheHits : this.#tokenCacheMisses).inc();
  }

  /** Where `audience_guard_token_cache_entries` reads the cache's size at scrape time. */
  tokenCacheSize(read: () => number): void {
    this.#tokenCacheSize = read;
  }

  policies(counts: Readonly<Record<PolicyState, number>>): void {
    for (const [state, count] of Object.entries(counts)) this.#policies.set({ state }, count);
  }
}
