/**
 * The service's Prometheus series (docs/contract.md §3.2): names, help texts,
 * label names and buckets, registered on one registry in the order they are exposed.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** What two series read at scrape time. */
export interface ScrapeHooks {
  /** Adds the log lines suppressed since the last scrape to the counter. */
  countSuppressedLines(): void;
  /** The verified-token cache's current size. */
  tokenCacheSize(): number;
}

export function defineMetrics(registry: Registry, hooks: ScrapeHooks) {
  const registers = [registry];
  const checks = new Counter({
    name: 'audience_guard_checks_total', help: 'Check calls answered, by policy, result and front end (grpc, http).',
    labelNames: ['namespace', 'policy', 'result', 'frontend'] as const, registers,
  });
  const rejections = new Counter({
    name: 'audience_guard_rejections_total',
    help: 'Failed checks by reason and front end; enforced="false" are Permissive-mode audience failures that were allowed.',
    labelNames: ['namespace', 'policy', 'reason', 'enforced', 'frontend'] as const, registers,
  });
  const duration = new Histogram({
    name: 'audience_guard_check_duration_seconds', help: 'Time to answer a Check call.', labelNames: ['result'] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25], registers,
  });
  const jwksRefreshes = new Counter({
    name: 'audience_guard_jwks_refreshes_total', help: 'Issuer key set fetches, by issuer and result.',
    labelNames: ['issuer', 'result'] as const, registers,
  });
  const inFlight = new Gauge({
    name: 'audience_guard_checks_in_flight', help: 'Check calls being decided right now (drained on shutdown).', registers,
  });
  const limitHits = new Counter({
    name: 'audience_guard_limit_hits_total',
    help: 'Times a configured limit was reached (oversized token or key set, too many keys or policies, a full cache evicting).',
    labelNames: ['limit'] as const, registers,
  });
  const upstreamRequests = new Counter({
    name: 'audience_guard_upstream_token_requests_total',
    help: 'Upstream token requests (token exchange or client credentials), by policy, grant and result.',
    labelNames: ['namespace', 'policy', 'grant', 'result'] as const, registers,
  });
  const upstreamCache = new Counter({
    name: 'audience_guard_upstream_token_cache_total', help: 'Upstream token cache lookups, by policy and result (hit, miss).',
    labelNames: ['namespace', 'policy', 'result'] as const, registers,
  });
  const audienceOverlaps = new Gauge({
    name: 'audience_guard_audience_overlaps',
    help: 'Policies that accept an audience another policy accepts too (cross-service replay between them).', registers,
  });
  const policies = new Gauge({
    name: 'audience_guard_policies', help: 'Policies by state.', labelNames: ['state'] as const, registers,
  });
  const tokenCacheLookups = new Counter({
    name: 'audience_guard_token_cache_lookups_total',
    help: 'Verified-token cache lookups, by result (hit: decoding and signature skipped).', labelNames: ['result'] as const,
    registers,
  });
  const logLinesSuppressed: Counter<'reason'> = new Counter({
    name: 'audience_guard_log_lines_suppressed_total',
    help: 'Log lines not written: token_rejected lines over --log-rate, by deny reason, ' +
      'and lines of any event dropped because the log writer\'s buffer was full (buffer_full).',
    labelNames: ['reason'] as const, registers,
    collect: () => { hooks.countSuppressedLines(); },
  });
  const tokenCacheEntries: Gauge = new Gauge({
    name: 'audience_guard_token_cache_entries', help: 'Tokens held in the verified-token cache.', registers,
    collect: () => { tokenCacheEntries.set(hooks.tokenCacheSize()); },
  });
  return {
    checks, rejections, duration, jwksRefreshes, inFlight, limitHits, upstreamRequests, upstreamCache,
    audienceOverlaps, policies, tokenCacheLookups, logLinesSuppressed,
  };
}
