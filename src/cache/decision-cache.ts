/**
 * The decision cache (the `DecisionCache` of src/core/decision-cache.ts) on
 * lru-cache: least recently used decisions go first when either bound is hit.
 *
 *   - Key: the token's SHA-256 (32 bytes as a latin1 string), never the token
 *     or any part of it; the entry holds the snapshot generation and the
 *     policy object it was decided under, and a lookup under another one is
 *     a miss. So one token holds one slot, whichever policy used it last.
 *   - Expiry: answered only while `notBefore <= now < expiresAt` on this
 *     cache's clock (the checks' clock); an entry past its `expiresAt` is
 *     dropped when read. No timers.
 *   - Bounds: `maxEntries`, and `maxBytes` of estimated memory.
 *   - `invalidate()` empties the cache and moves to a new epoch, so a check
 *     that started before cannot remember what it decided with the old keys
 *     or policies.
 */
import { LRUCache } from 'lru-cache';
import type { Decision } from '../core/decision.ts';
import type { DecisionCache, DecisionRecall, DecisionValidity } from '../core/decision-cache.ts';
import type { RuntimePolicy } from '../core/runtime-policy.ts';

export interface DecisionCacheOptions {
  readonly maxEntries: number;
  /** Bound on the estimated memory of all entries, bytes. */
  readonly maxBytes: number;
  /** Seconds since the epoch; the same clock as the checks' (tests inject one). */
  readonly now?: () => number;
  /** Told about every hit (the service counts it as a verified-token cache hit, which it implies). */
  readonly onHit?: () => void;
}

interface Entry extends DecisionValidity {
  readonly generation: number;
  readonly policy: RuntimePolicy;
  readonly decision: Decision;
}

/** Fixed cost of one entry (key, entry, decision, principal, lru-cache's slots), and the strings it holds. */
function estimatedBytes(entry: Entry): number {
  let bytes = 600;
  const { decision } = entry;
  if (decision.kind !== 'metadata' && decision.principal !== undefined) {
    const { subject, clientId, audiences } = decision.principal;
    bytes += (subject?.length ?? 0) + (clientId?.length ?? 0);
    for (const audience of audiences) bytes += 16 + audience.length;
  }
  if (decision.kind === 'deny') for (const scope of decision.detail?.grantedScopes ?? []) bytes += 16 + scope.length;
  return bytes;
}

/** A hit needs no remembering. */
const forget = (): void => undefined;

export class LRUDecisionCache implements DecisionCache {
  readonly #entries: LRUCache<string, Entry>;
  readonly #now: () => number;
  readonly #onHit: (() => void) | undefined;
  #epoch = 0;

  constructor(options: DecisionCacheOptions) {
    this.#entries = new LRUCache<string, Entry>({ max: options.maxEntries, maxSize: options.maxBytes, sizeCalculation: estimatedBytes });
    this.#now = options.now ?? (() => Date.now() / 1000);
    this.#onHit = options.onHit;
  }

  /** Decisions held now (expired ones not yet dropped included). */
  get size(): number {
    return this.#entries.size;
  }

  recall(digest: Buffer, policy: RuntimePolicy, generation: number): DecisionRecall {
    const key = digest.toString('latin1');
    const entry = this.#entries.get(key);
    if (entry !== undefined && entry.generation === generation && entry.policy === policy) {
      const now = this.#now();
      if (now >= entry.notBefore && now < entry.expiresAt) {
        this.#onHit?.();
        return { hit: entry.decision, remember: forget };
      }
      if (now >= entry.expiresAt) this.#entries.delete(key);
    }
    const epoch = this.#epoch;
    return {
      hit: undefined,
      remember: (decision, validity) => {
        if (epoch !== this.#epoch || !(validity.expiresAt > this.#now())) return;
        this.#entries.set(key, { generation, policy, decision, notBefore: validity.notBefore, expiresAt: validity.expiresAt });
      },
    };
  }

  /** Forgets every decision: the policies or an issuer's keys changed. */
  invalidate(): void {
    this.#epoch += 1;
    this.#entries.clear();
  }
}
