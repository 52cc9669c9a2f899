/**
 * The verified-token cache (the `VerifiedTokenCache` of src/core) on
 * lru-cache: least recently used tokens go first when either bound is hit.
 *
 *   - Key: snapshot generation + base64 SHA-256 of the token. The token, or
 *     any of its encoded segments or its signature, is never a key and never
 *     stored; entries hold only the decoded header and claims of a token that
 *     verified, which the core re-checks on every hit. (The sharing tables
 *     below are keyed by such decoded values: issuer, audience, scopes.)
 *   - Expiry: an entry is refused from the moment its `exp` is reached on this
 *     cache's clock (the checks' clock), and never stored when already there.
 *     No timers: expired entries are dropped when read or pushed out.
 *   - Bounds: `maxEntries`, and `maxBytes` of estimated memory per entry.
 *   - `invalidate()` empties the cache and moves to a new epoch, so a check
 *     that started before cannot store what it verified with the old keys or
 *     policies.
 *   - Sharing: most of a token's claims repeat from token to token (issuer,
 *     audience, client, scopes) and so does its header, but each decoded
 *     token has its own copy of every string. Entries keep one shared copy
 *     instead: 640 → ~400 bytes per entry with oidc-provider's tokens
 *     (bench/README.md, memory with 100,000 cached tokens).
 */
import { LRUCache } from 'lru-cache';
import type { RememberedToken, VerifiedTokenCache, VerifiedTokenLookup } from '../core/verified-token-cache.ts';

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

/**
 * Fixed cost of one entry (key string, entry objects, lru-cache's slots),
 * measured with 100,000 oidc-provider tokens on Node 24 (bench/README.md).
 */
const ENTRY_OVERHEAD_BYTES = 400;

/**
 * Rough size of a nested claim, walked with an explicit stack: a claim may be
 * nested thousands deep (within the token size cap), which would overflow the
 * call stack of a recursive walk or of JSON.stringify.
 */
function nestedBytes(root: object): number {
  let bytes = 0;
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === 'string') bytes += 16 + value.length;
    else if (Array.isArray(value)) {
      bytes += 16;
      for (const item of value as unknown[]) pending.push(item);
    } else if (typeof value === 'object' && value !== null) {
      bytes += 16;
      for (const [name, child] of Object.entries(value)) {
        bytes += 16 + name.length;
        pending.push(child);
      }
    } else bytes += 16;
  }
  return bytes;
}

/** Rough heap size of a remembered token: fixed overhead plus the characters of its claim and header values. */
export function estimatedEntryBytes(token: RememberedToken): number {
  let bytes = ENTRY_OVERHEAD_BYTES;
  for (const part of [token.header, token.payload]) {
    for (const [name, value] of Object.entries(part)) {
      bytes += 16 + name.length;
      if (typeof value === 'string') bytes += value.length;
      else if (Array.isArray(value)) for (const item of value as unknown[]) bytes += 16 + (typeof item === 'string' ? item.length : 16);
      else if (typeof value === 'object' && value !== null) bytes += 64 + nestedBytes(value);
    }
  }
  return bytes;
}

/** Claims whose values usually repeat across tokens; other claims (jti, sub, times) are kept as decoded. */
const SHARED_CLAIMS: ReadonlySet<string> = new Set(['iss', 'aud', 'azp', 'client_id', 'scope', 'scp', 'acr', 'amr', 'typ', 'token_use']);
/** Longest header (as JSON) that is shared rather than kept per entry. */
const SHARED_HEADER_MAX_CHARS = 512;
/** Distinct values each sharing table holds before it starts over (a bound, not a cache of tokens). */
const SHARED_VALUES_MAX = 4_096;

/** One copy of each distinct value, bounded: when full it starts over, which only costs sharing. */
class SharedValues<T> {
  readonly #values = new Map<string, T>();

  get(key: string, value: T): T {
    const known = this.#values.get(key);
    if (known !== undefined) return known;
    if (this.#values.size >= SHARED_VALUES_MAX) this.#values.clear();
    this.#values.set(key, value);
    return value;
  }
}

/** The same token with repeated header and claim values replaced by shared copies. */
class TokenCompactor {
  readonly #strings = new SharedValues<string>();
  readonly #headers = new SharedValues<Readonly<Record<string, unknown>>>();

  compact(token: RememberedToken): RememberedToken {
    return { header: this.#header(token.header), payload: this.#payload(token.payload), keySetId: token.keySetId };
  }

  #header(header: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
    const key = JSON.stringify(header);
    return key.length > SHARED_HEADER_MAX_CHARS ? header : this.#headers.get(key, Object.freeze({ ...header }));
  }

  #payload(payload: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
    // fromEntries defines own properties, so a claim named "__proto__" stays a claim.
    return Object.fromEntries(Object.entries(payload).map(([name, value]) => [name, SHARED_CLAIMS.has(name) ? this.#shared(value) : value]));
  }

  #shared(value: unknown): unknown {
    if (typeof value === 'string') return this.#strings.get(value, value);
    if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value.map((item) => this.#strings.get(item, item));
    return value;
  }
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
      ...(options.onEvict === undefined ? {} : { dispose: (_entry: Entry, _key: string, reason: LRUCache.DisposeReason) => { if (reason === 'evict') options.onEvict?.(); } }),
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
