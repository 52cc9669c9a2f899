/**
 * Prometheus metrics (docs/contract.md §3.2) on the service's own registry.
 * Label values come only from configuration (namespace, policy, issuer) or
 * closed sets (result, reason, enforced, state) — never from token or request
 * content.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { REASONS, type Reason } from '../core/reasons.ts';

export type CheckResult = 'allowed' | 'denied' | 'error';

/** Limits whose hits are counted (README "Limits"). */
export const LIMITS = ['token_size', 'jwks_size', 'jwks_keys', 'policies', 'token_cache', 'upstream_token_cache'] as const;
export type Limit = (typeof LIMITS)[number];
export const POLICY_STATES = ['accepted', 'rejected', 'conflicted', 'stale', 'unavailable'] as const;
export type PolicyState = (typeof POLICY_STATES)[number];

export class Metrics {
  readonly registry = new Registry();
  readonly #checks = new Counter({
    name: 'audience_guard_checks_total', help: 'Check calls answered, by policy and result.',
    labelNames: ['namespace', 'policy', 'result'] as const, registers: [this.registry],
  });
  readonly #rejections = new Counter({
    name: 'audience_guard_rejections_total',
    help: 'Failed checks by reason; enforced="false" are Permissive-mode audience failures that were allowed.',
    labelNames: ['namespace', 'policy', 'reason', 'enforced'] as const, registers: [this.registry],
  });
  readonly #duration = new Histogram({
    name: 'audience_guard_check_duration_seconds', help: 'Time to answer a Check call.', labelNames: ['result'] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25], registers: [this.registry],
  });
  readonly #jwksRefreshes = new Counter({
    name: 'audience_guard_jwks_refreshes_total', help: 'Issuer key set fetches, by issuer and result.',
    labelNames: ['issuer', 'result'] as const, registers: [this.registry],
  });
  readonly #inFlight = new Gauge({
    name: 'audience_guard_checks_in_flight', help: 'Check calls being decided right now (drained on shutdown).', registers: [this.registry],
  });
  readonly #limitHits = new Counter({
    name: 'audience_guard_limit_hits_total',
    help: 'Times a configured limit was reached (oversized token or key set, too many keys or policies, a full cache evicting).',
    labelNames: ['limit'] as const, registers: [this.registry],
  });
  readonly #upstreamRequests = new Counter({
    name: 'audience_guard_upstream_token_requests_total',
    help: 'Upstream token requests (token exchange or client credentials), by policy, grant and result.',
    labelNames: ['namespace', 'policy', 'grant', 'result'] as const, registers: [this.registry],
  });
  readonly #upstreamCache = new Counter({
    name: 'audience_guard_upstream_token_cache_total', help: 'Upstream token cache lookups, by policy and result (hit, miss).',
    labelNames: ['namespace', 'policy', 'result'] as const, registers: [this.registry],
  });
  readonly #audienceOverlaps = new Gauge({
    name: 'audience_guard_audience_overlaps',
    help: 'Policies that accept an audience another policy accepts too (cross-service replay between them).', registers: [this.registry],
  });
  readonly #policies = new Gauge({
    name: 'audience_guard_policies', help: 'Policies by state.', labelNames: ['state'] as const, registers: [this.registry],
  });
  readonly #checkChildren = new Map<string, Counter.Internal>();
  readonly #rejectionChildren = new Map<string, Counter.Internal>();
  readonly #durationByResult = {
    allowed: this.#duration.labels('allowed'), denied: this.#duration.labels('denied'), error: this.#duration.labels('error'),
  };
  readonly #tokenCacheLookups = new Counter({
    name: 'audience_guard_token_cache_lookups_total',
    help: 'Verified-token cache lookups, by result (hit: decoding and signature skipped).', labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly #tokenCacheHits = this.#tokenCacheLookups.labels('hit');
  readonly #tokenCacheMisses = this.#tokenCacheLookups.labels('miss');
  #tokenCacheSize: () => number = () => 0;
  #logBufferDrops: () => number = () => 0;
  #logBufferDropsCounted = 0;
  /** Suppressed lines not yet added to the counter: counted here on the flood's hot path, added at scrape time. */
  readonly #suppressedSinceScrape = Object.fromEntries(REASONS.map((reason) => [reason, 0])) as Record<Reason, number>;
  readonly #logLinesSuppressed: Counter<'reason'> = new Counter({
    name: 'audience_guard_log_lines_suppressed_total',
    help: 'Log lines not written: token_rejected lines over --log-rate, by deny reason, ' +
      'and lines of any event dropped because the log writer\'s buffer was full (buffer_full).',
    labelNames: ['reason'] as const, registers: [this.registry],
    collect: () => { this.#countSuppressedLines(); },
  });
  readonly #tokenCacheEntries = new Gauge({
    name: 'audience_guard_token_cache_entries', help: 'Tokens held in the verified-token cache.', registers: [this.registry],
    collect: () => { this.#tokenCacheEntries.set(this.#tokenCacheSize()); },
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'audience_guard_' });
    for (const state of POLICY_STATES) this.#policies.set({ state }, 0);
    for (const limit of LIMITS) this.#limitHits.inc({ limit }, 0);
    for (const reason of [...REASONS, 'buffer_full']) this.#logLinesSuppressed.inc({ reason }, 0);
  }

  checkStarted(): void {
    this.#inFlight.inc();
  }

  checkFinished(): void {
    this.#inFlight.dec();
  }

  check(namespace: string, policy: string, result: CheckResult, seconds: number): void {
    this.#labelled(this.#checks, this.#checkChildren, `${namespace}\u0000${policy}\u0000${result}`, { namespace, policy, result }).inc();
    this.#durationByResult[result].observe(seconds);
  }

  rejection(namespace: string, policy: string, reason: Reason, enforced: boolean): void {
    const labels = { namespace, policy, reason, enforced: enforced ? 'true' : 'false' } as const;
    const key = `${namespace}\u0000${policy}\u0000${reason}\u0000${labels.enforced}`;
    this.#labelled(this.#rejections, this.#rejectionChildren, key, labels).inc();
    if (reason === 'token_too_large') this.#limitHits.inc({ limit: 'token_size' });
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
    this.#jwksRefreshes.inc({ issuer, result: ok ? 'success' : 'failure' });
  }

  limitHit(limit: Limit): void {
    this.#limitHits.inc({ limit });
  }

  upstreamTokenRequest(namespace: string, policy: string, grant: 'token_exchange' | 'client_credentials', ok: boolean): void {
    this.#upstreamRequests.inc({ namespace, policy, grant, result: ok ? 'success' : 'failure' });
  }

  upstreamTokenCache(namespace: string, policy: string, hit: boolean): void {
    this.#upstreamCache.inc({ namespace, policy, result: hit ? 'hit' : 'miss' });
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
      if (count > 0) this.#logLinesSuppressed.inc({ reason }, count);
      this.#suppressedSinceScrape[reason] = 0;
    }
    const dropped = this.#logBufferDrops();
    if (dropped > this.#logBufferDropsCounted) {
      this.#logLinesSuppressed.inc({ reason: 'buffer_full' }, dropped - this.#logBufferDropsCounted);
    }
    this.#logBufferDropsCounted = Math.max(dropped, this.#logBufferDropsCounted);
  }

  policies(counts: Readonly<Record<PolicyState, number>>): void {
    for (const [state, count] of Object.entries(counts)) this.#policies.set({ state }, count);
  }
}
