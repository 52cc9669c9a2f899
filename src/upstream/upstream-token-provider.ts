/**
 * The `UpstreamTokenSource` the decision core uses (docs/contract.md §2.8):
 *   - token exchange: one token per (policy, client token), cached until
 *     shortly before the earlier of the two tokens' expiry; the cache key holds
 *     the client token's SHA-256, never the token;
 *   - client credentials: one token per policy, until shortly before it expires;
 *   - concurrent misses for the same key share one token request;
 *   - any failure (secret, discovery, endpoint, timeout) is `unavailable`:
 *     the core then denies with 503 upstream_token_unavailable, never passes
 *     the client's token through.
 * Entries are bounded in number; a change to the policy's `upstream` settings,
 * or a deleted and re-created policy, starts afresh (src/upstream/upstream-cache-key.ts).
 */
import { LRUCache } from 'lru-cache';
import type { UpstreamTokenResult, UpstreamTokenSource } from '../core/upstream-token-source.ts';
import type { RuntimePolicy } from '../core/runtime-policy.ts';
import type { ClientSecretResolver } from './client-secret-resolver.ts';
import type { IssuedToken, TokenEndpointClient } from './token-endpoint-client.ts';
import { upstreamCacheKey } from './upstream-cache-key.ts';

export interface UpstreamTokenEvents {
  /** A token request ended (labels come from the policy and a closed set). */
  request?(policy: RuntimePolicy, ok: boolean, reason: string | undefined): void;
  cache?(policy: RuntimePolicy, hit: boolean): void;
  /** A live token was pushed out because the cache was full (a limit hit). */
  evicted?(): void;
}

export interface UpstreamTokenProviderOptions {
  readonly maxEntries?: number;
  /** Seconds before expiry at which a cached token is no longer used (at most 10% of its lifetime). */
  readonly refreshMarginSeconds?: number;
  /** Lifetime assumed when the token endpoint gives no `expires_in`. */
  readonly defaultLifetimeSeconds?: number;
  /**
   * How long one check waits for a token request (keep it below the check
   * timeout, so the answer is `upstream_token_unavailable`, not `timeout`). The
   * request itself goes on and its token is cached for the next checks.
   */
  readonly maxWaitMs?: number;
  readonly now?: () => number;
}

interface CachedToken {
  readonly accessToken: string;
  readonly usableUntil: number;
}

export class UpstreamTokenProvider implements UpstreamTokenSource {
  readonly #client: TokenEndpointClient;
  readonly #secrets: ClientSecretResolver;
  readonly #events: UpstreamTokenEvents;
  readonly #cache: LRUCache<string, CachedToken>;
  readonly #inflight = new Map<string, Promise<CachedToken>>();
  readonly #margin: number;
  readonly #defaultLifetime: number;
  readonly #now: () => number;
  readonly #maxWaitMs: number;

  constructor(
    client: TokenEndpointClient, secrets: ClientSecretResolver,
    events: UpstreamTokenEvents = {}, options: UpstreamTokenProviderOptions = {},
  ) {
    this.#client = client;
    this.#secrets = secrets;
    this.#events = events;
    this.#cache = new LRUCache<string, CachedToken>({
      max: options.maxEntries ?? 10_000,
      dispose: (_token, _key, reason) => { if (reason === 'evict') events.evicted?.(); },
    });
    this.#margin = options.refreshMarginSeconds ?? 30;
    this.#defaultLifetime = options.defaultLifetimeSeconds ?? 300;
    this.#now = options.now ?? (() => Date.now() / 1000);
    this.#maxWaitMs = options.maxWaitMs ?? Number.POSITIVE_INFINITY;
  }

  async tokenFor(policy: RuntimePolicy, clientToken: string, clientExpiresAt: number): Promise<UpstreamTokenResult> {
    const upstream = policy.upstream;
    if (upstream === undefined) return { kind: 'unavailable' };
    const exchange = upstream.grant === 'token_exchange';
    const key = upstreamCacheKey(policy, upstream, exchange ? clientToken : undefined);
    const now = this.#now();
    const cached = this.#cache.get(key);
    if (cached !== undefined && cached.usableUntil > now) {
      this.#events.cache?.(policy, true);
      return { kind: 'token', accessToken: cached.accessToken };
    }
    this.#events.cache?.(policy, false);
    let pending = this.#inflight.get(key);
    if (pending === undefined) {
      pending = this.#fetch(policy, exchange ? clientToken : undefined, exchange ? clientExpiresAt : Number.POSITIVE_INFINITY)
        .then((token) => {
          if (token.usableUntil > this.#now()) this.#cache.set(key, token);
          return token;
        })
        .finally(() => this.#inflight.delete(key));
      pending.catch(() => undefined); // a failure is reported to the waiting checks, never unhandled
      this.#inflight.set(key, pending);
    }
    try {
      const token = await this.#within(pending);
      return token === undefined ? { kind: 'unavailable' } : { kind: 'token', accessToken: token.accessToken };
    } catch {
      return { kind: 'unavailable' };
    }
  }

  /** The token, or undefined when it is not there within maxWaitMs. */
  #within(pending: Promise<CachedToken>): Promise<CachedToken | undefined> {
    if (!Number.isFinite(this.#maxWaitMs)) return pending;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => { timer = setTimeout(() => { resolve(undefined); }, this.#maxWaitMs); });
    return Promise.race([pending, timeout]).finally(() => { clearTimeout(timer); });
  }

  async #fetch(policy: RuntimePolicy, subjectToken: string | undefined, clientExpiresAt: number): Promise<CachedToken> {
    const upstream = policy.upstream;
    if (upstream === undefined) throw new Error('no upstream');
    let issued: IssuedToken;
    try {
      const secret = await this.#secrets.resolve(upstream.clientSecret);
      issued = await this.#client.request(upstream, secret, subjectToken);
    } catch (error) {
      this.#events.request?.(policy, false, (error as Error).message);
      throw error;
    }
    this.#events.request?.(policy, true, undefined);
    const now = this.#now();
    const expiresAt = Math.min(issued.expiresAt ?? now + this.#defaultLifetime, clientExpiresAt);
    const margin = Math.min(this.#margin, (expiresAt - now) / 10);
    return { accessToken: issued.accessToken, usableUntil: expiresAt - margin };
  }
}
