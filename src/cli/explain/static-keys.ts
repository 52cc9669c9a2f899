/**
 * `--jwks-file`: a KeyResolver over the keys of one JWKS document, chosen by
 * `kid` and `alg` with the same selection rule as the issuers' key sets
 * (src/keys/jwk-selection.ts). It answers for whichever issuer the token
 * names; a key it lacks is `unknown_key`, never a fetch.
 */
import { createPublicKey } from 'node:crypto';
import type { KeyLookup, KeyResolver } from '../../core/key-resolver.ts';
import type { RuntimeIssuer } from '../../core/runtime-policy.ts';
import { publicKeys, selectJWK, type PublicJWK } from '../../keys/jwk-selection.ts';

/** As many keys as serve accepts in one JWKS by default (`--max-jwks-keys`). */
const MAX_KEYS = 100;

export class StaticKeyResolver implements KeyResolver {
  readonly #keys: readonly PublicJWK[];

  /** Throws with a one-line message when `text` is not a JWKS document. */
  constructor(text: string) {
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch {
      throw new Error('is not JSON');
    }
    if (typeof document !== 'object' || document === null || Array.isArray(document)) {
      throw new Error('is not a JWKS document (a JSON object with "keys")');
    }
    this.#keys = publicKeys(document as Record<string, unknown>, MAX_KEYS);
  }

  resolve(_issuer: RuntimeIssuer, header: { readonly kid: string | undefined; readonly alg: string }): Promise<KeyLookup> {
    const jwk = selectJWK(this.#keys, header.kid, header.alg);
    if (jwk === undefined) return Promise.resolve({ kind: 'unknown_key' });
    try {
      return Promise.resolve({ kind: 'key', key: createPublicKey({ key: jwk, format: 'jwk' }) });
    } catch {
      return Promise.resolve({ kind: 'unknown_key' }); // an unusable JWK is as good as an absent one
    }
  }
}
