/**
 * What follows every policy update, whatever the source: the key store
 * follows the snapshot's issuers, the policies gauge is recounted, the
 * operator gets a line for each policy left out, each conflict and audience
 * overlap and the snapshot in force, and `loaded()` is told (health turns
 * SERVING). Returns the events every source reports to.
 */
import type { IssuerKeyStore } from '../keys/issuer-key-store.ts';
import type { Logger } from '../obs/logger.ts';
import type { Metrics } from '../obs/metrics.ts';
import type { PolicyStore } from '../policy/policy-store.ts';
import type { PolicySourceEvents } from '../sources/policy-source.ts';
import { policyCounts } from './policy-counts.ts';
import { logEvent } from '../obs/log-events.ts';

export interface PolicyUpdateOptions {
  /** `--max-policies`, named in the line that says some were left out. */
  readonly maxPolicies?: number | undefined;
  /** `--http-authz-address` is set: the proxies that ask it mostly send no request body. */
  readonly httpAuthz?: boolean | undefined;
  /** A snapshot is in force. */
  loaded(): void;
}

export function followPolicyUpdates(
  store: PolicyStore, keys: IssuerKeyStore, metrics: Metrics, logger: Logger, options: PolicyUpdateOptions,
): PolicySourceEvents {
  // Refused documents outside the snapshot: from the store's updates, or reported by the source.
  let rejected = 0;
  let stale: ReadonlySet<string> = new Set();
  const countPolicies = (): void => {
    const snapshot = store.current();
    metrics.policies(policyCounts(snapshot, stale, rejected));
    metrics.audienceOverlaps(new Set(snapshot.audienceOverlaps.map((overlap) => overlap.policy.id)).size);
  };
  store.onUpdate(({ snapshot, rejected: rejectedNow, overLimit, uncompilable, stale: staleNow }) => {
    for (const { origin, error } of uncompilable) {
      logEvent(
        logger, 'policy_rejected', { origin, field: '/', problem: `could not be compiled: ${error}` },
        'policy left out; the other policies keep serving',
      );
    }
    if (overLimit.length > 0) {
      metrics.limitHit('policies');
      logEvent(
        logger, 'limit_reached', { limit: 'policies', max: options.maxPolicies, left_out: overLimit.length, first: overLimit.slice(0, 5) },
        'more policies than --max-policies: the youngest are left out',
      );
    }
    rejected = rejectedNow;
    stale = new Set(staleNow);
    keys.sync(snapshot);
    countPolicies();
    for (const conflict of snapshot.conflicts) {
      logEvent(
        logger, 'policy_conflicted',
        { policy: conflict.policy.id, winner: conflict.winner.id, host: conflict.host, path_prefix: conflict.pathPrefix },
        conflict.pathPrefix === undefined
          ? 'another namespace claimed this host first: the policy serves nothing there'
          : 'another policy already claims this host and path prefix',
      );
    }
    for (const overlap of snapshot.audienceOverlaps) {
      if (overlap.policy.id < overlap.other.id) {
        logEvent(
          logger, 'audience_overlap', { policy: overlap.policy.id, other: overlap.other.id, audience: overlap.audience },
          'two policies accept the same audience: tokens for one are accepted by the other',
        );
      }
    }
    if (options.httpAuthz === true) {
      for (const policy of snapshot.policies) {
        if (policy.mcp === undefined || policy.mcp.source === 'Body') continue;
        logEvent(
          logger, 'mcp_rules_without_body', { policy: policy.id, source: policy.mcp.source },
          'per-tool scopes behind the HTTP front end: without a body the MCP call is read from the mirrored headers alone ' +
            '(clients without them get 400 unreadable_mcp_request; see README "Per-tool scopes")',
        );
      }
    }
    logEvent(
      logger, 'policies_loaded', { generation: snapshot.generation, policies: snapshot.policies.length }, 'policy snapshot in force',
    );
    options.loaded();
  });
  return {
    rejected(count) {
      rejected = count;
      countPolicies();
    },
  };
}
