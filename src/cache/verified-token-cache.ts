/**
 * The verified-token cache (the `VerifiedTokenCache` of src/core) on
 * lru-cache: least recently used tokens go first when either bound is hit.
 *
 *   - Key: snapshot generation + base64 SHA-256 of the token. The token, or
 *     any of its encoded segments or its signature, is never a key and never
 *     stored; entries hold only the decoded header and claims of a token that
 *     verified, which the core re-checks on every hit. (The sharing tables
 *     of token-compactor.ts are keyed by such decoded values: issuer,
 *     audience, scopes.)
 *   - Expiry: an entry is refused from the moment its `exp` is reached on this
 *     cache's clock (the checks' clock), and never stored when already there.
 *     No timers: expired entries are dropped when read or pushed out.
 *   - Bounds: `maxEntries`, and `maxBytes` of estimated memory (entry-size.ts).
 *   - `invalidate()` empties the cache and moves to a new epoch, so a check
 *     that started before cannot store what it verified with the old keys or
 *     policies.
 *   - Sharing: most of a token's claims repeat from token to token (issuer,
 *     audience, client, scopes) and so does its header, but each decoded
 *     token has its own copy of every string. Entries keep one shared copy
 *     instead (token-compactor.ts): 640 → ~400 bytes per entry with
 *     oidc-provider's tokens (bench/README.md, memory with 100,000 cached tokens).
 */
import { LRUCache } from 'lru-cache';
import type { RememberedToken, VerifiedTokenCache, VerifiedTokenLookup } from '../core/verified-token-cache.ts';
import { estimatedEntryBytes } from './entry-size.ts';
import { TokenCompactor } from './token-compactor.ts';

export interface TokenCacheOptions {
  /** Most tokens held at once. */
  readonly maxEntries: number;
  /** Bound on the estimated memory of all entries, bytes (see `estimatedEntryBytes`). */
  readonly maxBytes: number;
  /** Seconds since the epoch; the same clock as the checks' (tests inject one). */
  readonly now?: () => number;
  /** Told about every lookup (metrics). */
  readonly onLookup?: (hit: boolean) => void;
  /** A live entry was pushed out because the cache was full (a limit hit). */
  readonly onEvict?: () => void;
}

interface Entry {
  readonly token: RememberedToken;
  /** The token's `exp`, seconds. */
  readonly expiresAt: number;
}

export class LRUVerifiedTokenCache implements VerifiedTokenCache {
  readonly #entries: LRUCache<string, Entry>;
  readonly #now: () => number;
  readonly #onLookup: ((hit: boolean) => void) | undefined;
  readonly #compactor = new TokenCompactor();
  #epoch = 0;

  constructor(options: TokenCacheOptions) {
    this.#entries = new LRUCache<string, Entry>({
      max: options.maxEntries,
      maxSize: options.maxBytes,
      sizeCalculation: (entry) => estimatedEntryBytes(entry.token),
      ...(options.onEvict === undefined ? {} : {
        dispose: (_entry: Entry, _key: string, reason: LRUCache.DisposeReason) => {
          if (reason === 'evict') options.onEvict?.();
        },
      }),
    });
    this.#now = options.now ?? (() => Date.now() / 1000);
    this.#onLookup = options.onLookup;
  }

  /** Tokens held now (expired ones not yet dropped included). */
  get size(): number {
    return this.#entries.size;
  }

  /** Estimated bytes held now. */
  get estimatedBytes(): number {
    return this.#entries.calculatedSize;
  }

  lookup(digest: Buffer, generation: number): VerifiedTokenLookup {
    const key = `${String(generation)}:${digest.toString('base64')}`;
    const epoch = this.#epoch;
    let entry = this.#entries.get(key);
    if (entry !== undefined && entry.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      entry = undefined;
    }
    this.#onLookup?.(entry !== undefined);
    return {
      hit: entry?.token,
      remember: (token, expiresAt) => {
        if (epoch !== this.#epoch || !(expiresAt > this.#now())) return;
        this.#entries.set(key, { token: this.#compactor.compact(token), expiresAt });
      },
    };
  }

  /** The keys held now (tests check that no token is in them). */
  keys(): string[] {
    return [...this.#entries.keys()];
  }

  /** Forgets every token: the policies or an issuer's keys changed. */
  invalidate(): void {
    this.#epoch += 1;
    this.#entries.clear();
  }
}
