/**
 * The DPoP replay cache of one replica (RFC 9449 §11.1): the proofs it has
 * accepted, each until its `iat` plus the proof window has passed — after
 * that the proof is refused for its age anyway. Bounded by
 * `--dpop-replay-cache-size`: when every slot holds a live entry, a new proof
 * is refused (503 `dpop_unavailable`) instead of evicting one, since an
 * evicted entry is a proof that could be replayed. Keys are fixed-size
 * digests (src/core/binding-step.ts), never proof content.
 *
 * Time comes from the service's clock. Entries are swept from the oldest
 * while they have expired; when the cache is full, once a second at most, the
 * whole map is swept (a proof's `iat` may lie a little in the past or future,
 * so insertion order is only nearly expiry order).
 */
import type { DpopReplayCache, ReplayVerdict } from '../core/binding-environment.ts';

export class BoundedReplayCache implements DpopReplayCache {
  readonly #entries = new Map<string, number>();
  readonly #maxEntries: number;
  readonly #now: () => number;
  #lastFullSweep = Number.NEGATIVE_INFINITY;

  constructor(maxEntries: number, now: () => number) {
    this.#maxEntries = maxEntries;
    this.#now = now;
  }

  get size(): number {
    return this.#entries.size;
  }

  remember(key: string, until: number): ReplayVerdict {
    const now = this.#now();
    const seen = this.#entries.get(key);
    if (seen !== undefined && seen > now) return 'replayed';
    this.#sweepOldest(now);
    if (seen === undefined && this.#entries.size >= this.#maxEntries) {
      if (now - this.#lastFullSweep < 1) return 'full';
      this.#lastFullSweep = now;
      for (const [entry, expiry] of this.#entries) if (expiry <= now) this.#entries.delete(entry);
      if (this.#entries.size >= this.#maxEntries) return 'full';
    }
    this.#entries.delete(key);
    this.#entries.set(key, until);
    return 'fresh';
  }

  #sweepOldest(now: number): void {
    for (const [entry, expiry] of this.#entries) {
      if (expiry > now) return;
      this.#entries.delete(entry);
    }
  }
}
