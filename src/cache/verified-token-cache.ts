/**
 * The verified-token cache (the `VerifiedTokenCache` of src/core) on
 * lru-cache: least recently used tokens go first when either bound is hit.
 *
 *   - Key: the SHA-256 of the token (its 32 bytes as a latin1 string), with
 *     the snapshot generation in the entry (a lookup under another
 *     generation misses, and remembering replaces the entry). The token, or
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
 *     oidc-provider's tokens (bench/README.md, memory with 100,000 cached tokens);
 *     one object per entry, the 32-byte key and `sub` shared took it from 463
 *     to 335 bytes of heap (measured with `--expose-gc`, 4 Dec 2026).
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

/** One object per token: the remembered token itself, with its expiry and the generation it is valid for. */
interface Entry extends RememberedToken {
  /** The token's `exp`, seconds. */
  readonly expiresAt: number;
  /** The snapshot generation it was verified under; a lookup under another one misses. */
  readonly generation: number;
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
      sizeCalculation: (entry) => estimatedEntryBytes(entry),
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
    // The digest's 32 bytes as a one-byte string: the shortest key V8 can hold for it.
    const key = digest.toString('latin1');
    const epoch = this.#epoch;
    let entry = this.#entries.get(key);
    if (entry !== undefined && entry.generation !== generation) entry = undefined;
    else if (entry !== undefined && entry.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      entry = undefined;
    }
    this.#onLookup?.(entry !== undefined);
    return {
      hit: entry,
      remember: (token, expiresAt) => {
        if (epoch !== this.#epoch || !(expiresAt > this.#now())) return;
        const { header, payload } = this.#compactor.compact(token);
        this.#entries.set(key, { header, payload, keySetId: token.keySetId, expiresAt, generation });
      },
    };
  }

  /** What each entry is keyed by, as `generation:base64 digest` (tests check that no token is in them). */
  keys(): string[] {
    const spelled = (key: string, entry: Entry): string => `${String(entry.generation)}:${Buffer.from(key, 'latin1').toString('base64')}`;
    return [...this.#entries.entries()].map(([key, entry]) => spelled(key, entry));
  }

  /** Forgets every token: the policies or an issuer's keys changed. */
  invalidate(): void {
    this.#epoch += 1;
    this.#entries.clear();
  }
}
