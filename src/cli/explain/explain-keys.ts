/**
 * Where `explain` gets verification keys: the `--jwks-file` document, or —
 * as serve does — the issuer's own key set, fetched live by the service's
 * IssuerKeyStore (configured `jwksUri`, else RFC 8414 / OpenID discovery).
 * Fetch failures are kept for the report: the decision itself only says
 * `keys_unavailable`.
 */
import type { KeyResolver } from '../../core/key-resolver.ts';
import { IssuerKeyStore } from '../../keys/issuer-key-store.ts';
import { StaticKeyResolver } from './static-keys.ts';

export interface KeyFetchFailure {
  readonly issuer: string;
  /** What failed, in the key store's fixed words (`bad answer (HTTP 503)`, `unreachable`, …). */
  readonly error: string;
  /** The JWKS URI that failed; undefined when discovering it failed. */
  readonly jwksUri: string | undefined;
}

export interface ExplainKeys {
  readonly resolver: KeyResolver;
  readonly source: 'jwks-file' | 'issuer';
  readonly failures: readonly KeyFetchFailure[];
  close(): void;
}

/** Throws with a one-line message when the file's text is not a JWKS document. */
export function keysFromFile(text: string): ExplainKeys {
  return { resolver: new StaticKeyResolver(text), source: 'jwks-file', failures: [], close: () => undefined };
}

export function keysFromIssuers(): ExplainKeys {
  const store = new IssuerKeyStore();
  const failures: KeyFetchFailure[] = [];
  store.onRefresh((refresh) => {
    if (!refresh.ok) failures.push({ issuer: refresh.issuer, error: refresh.error, jwksUri: refresh.jwksUri });
  });
  return { resolver: store, source: 'issuer', failures, close: () => { store.close(); } };
}
