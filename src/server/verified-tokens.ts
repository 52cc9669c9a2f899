/**
 * The running service's verified-token cache and decision cache: both sized
 * by `--token-cache-size` (0 turns both off), emptied on every new policy
 * snapshot and whenever an issuer's keys change; the token cache's lookups
 * and size in the metrics. A decision-cache hit counts as a token-cache hit:
 * a decision is remembered only for a token the token cache already held, so
 * the lookup counts are what they were before the decision cache.
 */
import type { IssuerKeyStore } from '../keys/issuer-key-store.ts';
import type { Metrics } from '../obs/metrics.ts';
import type { PolicyStore } from '../policy/policy-store.ts';
import { LRUVerifiedTokenCache } from '../cache/verified-token-cache.ts';
import { LRUDecisionCache } from '../cache/decision-cache.ts';

/** Memory bound per configured entry: typical tokens hit the entry bound first, unusually large ones this one. */
const TOKEN_CACHE_BYTES_PER_ENTRY = 2048;
/** The same for the decision cache, whose entries hold a decision instead of claims. */
const DECISION_CACHE_BYTES_PER_ENTRY = 1024;

export interface VerifiedTokensParts {
  readonly store: Pick<PolicyStore, 'onUpdate'>;
  readonly keys: Pick<IssuerKeyStore, 'onRefresh'>;
  readonly metrics: Pick<Metrics, 'tokenCacheLookup' | 'tokenCacheSize' | 'limitHit'>;
  /** Seconds clock of the checks. */
  readonly now: () => number;
}

export function createVerifiedTokens(maxEntries: number, parts: VerifiedTokensParts): LRUVerifiedTokenCache | undefined {
  if (maxEntries === 0) return undefined;
  const cache = new LRUVerifiedTokenCache({
    maxEntries,
    maxBytes: maxEntries * TOKEN_CACHE_BYTES_PER_ENTRY,
    now: parts.now,
    onLookup: (hit) => { parts.metrics.tokenCacheLookup(hit); },
    onEvict: () => { parts.metrics.limitHit('token_cache'); },
  });
  parts.store.onUpdate(() => { cache.invalidate(); });
  parts.keys.onRefresh((refresh) => { if (refresh.ok && refresh.changed) cache.invalidate(); });
  parts.metrics.tokenCacheSize(() => cache.size);
  return cache;
}

/** The decision cache (src/core/decision-cache.ts) beside the verified-token cache, invalidated with it. */
export function createDecisionCache(maxEntries: number, parts: VerifiedTokensParts): LRUDecisionCache | undefined {
  if (maxEntries === 0) return undefined;
  const cache = new LRUDecisionCache({
    maxEntries,
    maxBytes: maxEntries * DECISION_CACHE_BYTES_PER_ENTRY,
    now: parts.now,
    onHit: () => { parts.metrics.tokenCacheLookup(true); },
  });
  parts.store.onUpdate(() => { cache.invalidate(); });
  parts.keys.onRefresh((refresh) => { if (refresh.ok && refresh.changed) cache.invalidate(); });
  return cache;
}
