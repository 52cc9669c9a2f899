/**
 * The `KeyResolver` the decision core uses: one `IssuerKeySet` per distinct
 * (issuer, JWKS URI), shared by every policy that trusts it, created and
 * prefetched when a snapshot that needs it arrives and closed when none does.
 * Only the issuer the token names (and the policy trusts) is ever consulted.
 */
import type { KeyLookup, KeyResolver } from '../core/key-resolver.ts';
import type { PolicySnapshot } from '../core/policy-snapshot.ts';
import type { RuntimeIssuer } from '../core/runtime-policy.ts';
import { DEFAULT_FETCH_LIMITS } from './fetch-json.ts';
import { IssuerKeySet, type KeySetOptions, type KeySetRefresh } from './issuer-key-set.ts';

export const DEFAULT_KEY_SET_OPTIONS: KeySetOptions = Object.freeze({
  fetchLimits: DEFAULT_FETCH_LIMITS,
  maxKeys: 100,
  unknownKeyCooldownMs: 30_000,
  refreshIntervalMs: 10 * 60_000,
  retryMinMs: 1_000,
  retryMaxMs: 60_000,
  now: () => Date.now(),
});

export class IssuerKeyStore implements KeyResolver {
  readonly #options: KeySetOptions;
  readonly #sets = new Map<string, IssuerKeySet>();
  readonly #listeners: ((refresh: KeySetRefresh) => void)[] = [];

  constructor(options: Partial<KeySetOptions> = {}) {
    this.#options = { ...DEFAULT_KEY_SET_OPTIONS, ...options };
  }

  onRefresh(listener: (refresh: KeySetRefresh) => void): void {
    this.#listeners.push(listener);
  }

  /** Starts fetching key sets the snapshot needs and closes those it no longer does. */
  sync(snapshot: PolicySnapshot): void {
    const needed = new Map<string, RuntimeIssuer>();
    for (const policy of snapshot.policies) for (const issuer of policy.issuers.values()) needed.set(issuer.keySetId, issuer);
    for (const [id, set] of this.#sets) {
      if (!needed.has(id)) {
        set.close();
        this.#sets.delete(id);
      }
    }
    for (const [id, issuer] of needed) if (!this.#sets.has(id)) void this.#create(id, issuer).refresh();
  }

  /** The key set serving `issuer` (for status and readiness). */
  keySet(issuer: RuntimeIssuer): IssuerKeySet | undefined {
    return this.#sets.get(issuer.keySetId);
  }

  resolve(issuer: RuntimeIssuer, header: { readonly kid: string | undefined; readonly alg: string }): Promise<KeyLookup> {
    const set = this.#sets.get(issuer.keySetId) ?? this.#create(issuer.keySetId, issuer);
    return set.resolve(header.kid, header.alg);
  }

  close(): void {
    for (const set of this.#sets.values()) set.close();
    this.#sets.clear();
  }

  #create(id: string, issuer: RuntimeIssuer): IssuerKeySet {
    const set = new IssuerKeySet(issuer.issuer, issuer.jwksUri, this.#options, (refresh) => {
      for (const listener of this.#listeners) listener(refresh);
    });
    this.#sets.set(id, set);
    return set;
  }
}
