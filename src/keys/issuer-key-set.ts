/**
 * One issuer's verification keys: fetched when a policy that trusts the issuer
 * loads (not on the first request), cached, refreshed periodically, refetched
 * on an unknown `kid` at most once per cooldown, retried with backoff while it
 * cannot be had. A failed refresh keeps the keys already cached: an issuer
 * outage degrades to "old keys still work", never to "any key works".
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { KeyLookup } from '../core/key-resolver.ts';
import { discoverEndpoint } from './discovery.ts';
import type { EndpointFetch } from '../net/endpoint-failure.ts';
import { FetchJSONError, fetchJSONObject, type FetchLimits } from './fetch-json.ts';
import { publicKeys, selectJWK, TooManyKeysError, type PublicJWK } from './jwk-selection.ts';

export interface KeySetOptions {
  readonly fetchLimits: FetchLimits;
  /** How discovery documents and key sets are fetched; default the global fetch (Kubernetes mode guards it). */
  readonly fetch?: EndpointFetch;
  readonly maxKeys: number;
  /** At most one refetch per this period when a token names an unknown `kid` (docs/contract.md §2.1 step 6). */
  readonly unknownKeyCooldownMs: number;
  /** Routine refresh of a healthy key set. */
  readonly refreshIntervalMs: number;
  /** Backoff bounds for retrying a key set that could not be fetched. */
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
  /** Milliseconds clock (injected for tests). */
  now(): number;
}

/** `changed`: the loaded keys differ from the ones before (the first load counts); caches of verified tokens must go. */
export type KeySetRefresh =
  | { readonly issuer: string; readonly ok: true; readonly changed: boolean }
  /** `limit` names the limit a refused answer broke (the key set size or its number of keys). */
  | {
    readonly issuer: string; readonly ok: false; readonly error: string; readonly limit: 'jwks_size' | 'jwks_keys' | undefined;
    /** The JWKS URI that failed; undefined when discovering it failed. */
    readonly jwksUri?: string | undefined;
  };

export class IssuerKeySet {
  readonly issuer: string;
  readonly #configuredJWKSUri: string | undefined;
  readonly #options: KeySetOptions;
  readonly #onRefresh: (refresh: KeySetRefresh) => void;
  #jwksUri: string | undefined;
  #keys: readonly PublicJWK[] | undefined;
  readonly #imported = new Map<string, KeyObject>();
  #inflight: Promise<void> | undefined;
  #lastAttempt = Number.NEGATIVE_INFINITY;
  #lastUnknownKeyRefetch = Number.NEGATIVE_INFINITY;
  #lastError: string | undefined;
  #failures = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(issuer: string, jwksUri: string | undefined, options: KeySetOptions, onRefresh: (refresh: KeySetRefresh) => void) {
    this.issuer = issuer;
    this.#configuredJWKSUri = jwksUri;
    this.#jwksUri = jwksUri;
    this.#options = options;
    this.#onRefresh = onRefresh;
  }

  /** Keys are loaded and usable. */
  get ready(): boolean {
    return this.#keys !== undefined;
  }

  /** Why the last fetch failed (safe to show in status), or undefined after a success. */
  get lastError(): string | undefined {
    return this.#lastError;
  }

  /** Fetches now (single flight); resolves when the attempt ends, never rejects. */
  refresh(): Promise<void> {
    this.#inflight ??= this.#fetch().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async resolve(kid: string | undefined, alg: string): Promise<KeyLookup> {
    if (this.#keys === undefined) {
      if (this.#inflight !== undefined || this.#sinceLastAttempt() >= this.#options.retryMinMs) await this.refresh();
      if (!this.ready) return { kind: 'keys_unavailable' };
    }
    let key = this.#lookup(kid, alg);
    if (key === undefined && kid !== undefined) {
      // A new `kid` usually means the issuer rotated keys: refetch, but at most once
      // per cooldown, so tokens with invented kids cannot make us hammer the issuer.
      const now = this.#options.now();
      if (this.#inflight === undefined && now - this.#lastUnknownKeyRefetch >= this.#options.unknownKeyCooldownMs) {
        this.#lastUnknownKeyRefetch = now;
        await this.refresh();
      } else if (this.#inflight !== undefined) {
        await this.#inflight;
      }
      key = this.#lookup(kid, alg);
    }
    return key === undefined ? { kind: 'unknown_key' } : { kind: 'key', key };
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  #sinceLastAttempt(): number {
    return this.#options.now() - this.#lastAttempt;
  }

  #lookup(kid: string | undefined, alg: string): KeyObject | undefined {
    // "No kid" and an empty kid are different questions: keep their answers apart.
    const cacheKey = kid === undefined ? `\u0001${alg}` : `${kid}\u0000${alg}`;
    const cached = this.#imported.get(cacheKey);
    if (cached !== undefined) return cached;
    const jwk = selectJWK(this.#keys ?? [], kid, alg);
    if (jwk === undefined) return undefined;
    try {
      const key = createPublicKey({ key: jwk, format: 'jwk' });
      this.#imported.set(cacheKey, key);
      return key;
    } catch {
      return undefined; // an unusable JWK is as good as an absent one
    }
  }

  async #fetch(): Promise<void> {
    this.#lastAttempt = this.#options.now();
    let jwksUri: string | undefined;
    try {
      const fetcher = this.#options.fetch ?? fetch;
      this.#jwksUri ??= await discoverEndpoint(this.issuer, 'jwks_uri', this.#options.fetchLimits, fetcher);
      jwksUri = this.#jwksUri;
      const document = await fetchJSONObject(jwksUri, this.#options.fetchLimits, fetcher);
      const keys = publicKeys(document, this.#options.maxKeys);
      if (this.#closed) return;
      const changed = this.#keys === undefined || JSON.stringify(keys) !== JSON.stringify(this.#keys);
      this.#keys = keys;
      this.#imported.clear();
      this.#lastError = undefined;
      this.#failures = 0;
      this.#onRefresh({ issuer: this.issuer, ok: true, changed });
      this.#schedule(this.#options.refreshIntervalMs);
    } catch (error) {
      if (this.#closed) return;
      // A discovered URI is looked up again next time: the issuer may have moved it.
      this.#jwksUri = this.#configuredJWKSUri;
      this.#lastError = (error as Error).message;
      this.#failures += 1;
      const limit = error instanceof FetchJSONError && error.limit === 'size' ? 'jwks_size'
        : error instanceof TooManyKeysError ? 'jwks_keys'
          : undefined;
      this.#onRefresh({ issuer: this.issuer, ok: false, error: this.#lastError, limit, jwksUri });
      const backoff = Math.min(this.#options.retryMaxMs, this.#options.retryMinMs * 2 ** (this.#failures - 1));
      this.#schedule(this.#keys === undefined ? backoff : Math.min(backoff, this.#options.refreshIntervalMs));
    }
  }

  #schedule(delayMs: number): void {
    clearTimeout(this.#timer);
    if (this.#closed) return;
    this.#timer = setTimeout(() => void this.refresh(), delayMs);
    this.#timer.unref();
  }
}
