/**
 * How the decision core gets verification keys without doing I/O itself.
 * Implemented by src/keys/issuer-key-store.ts.
 */
import type { KeyObject } from 'node:crypto';
import type { RuntimeIssuer } from './runtime-policy.ts';

export type KeyLookup =
  | { readonly kind: 'key'; readonly key: KeyObject | Uint8Array }
  /** The issuer's key set has no key for this `kid`/`alg` (after any permitted refetch). */
  | { readonly kind: 'unknown_key' }
  /** No key set could be had for this issuer (unreachable and nothing cached). */
  | { readonly kind: 'keys_unavailable' };

export interface KeyResolver {
  /**
   * The key for a protected header's `kid` and `alg` from `issuer`'s own key set.
   * Only `kid` and `alg` are read; `jku`, `x5u`, `jwk` and `x5c` are never followed.
   */
  resolve(issuer: RuntimeIssuer, header: { readonly kid: string | undefined; readonly alg: string }): Promise<KeyLookup>;
}
