/**
 * The running service's verified-token cache: sized by `--token-cache-size`
 * (0 turns it off), emptied on every new policy snapshot and whenever an
 * issuer's keys change, its lookups and size in the metrics.
 */
import type { IssuerKeyStore } from '../keys/issuer-key-store.ts';
import type { Metrics } from '../obs/metrics.ts';
import type { PolicyStore } from '../policy/policy-store.ts';
import { LRUVerifiedTokenCache } from '../cache/verified-token-cache.ts';

/** Memory bound per configured entry: typical tokens hit the entry bound first, unusually large ones this one. */
const TOKEN_CACHE_BYTES_PER_ENTRY = 2048;

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
