/**
 * The service's issuer key store: the operator's bounds on what a JWKS or
 * discovery document may be (`--max-jwks-bytes`, `--max-jwks-keys`), how
 * endpoints are reached (guarded in Kubernetes mode), and the log line and
 * counters of every fetch outcome.
 */
import { DEFAULT_KEY_SET_OPTIONS, IssuerKeyStore } from '../keys/issuer-key-store.ts';
import type { KeySetOptions } from '../keys/issuer-key-set.ts';
import type { EndpointFetch } from '../net/endpoint-failure.ts';
import type { Logger } from '../obs/logger.ts';
import type { Metrics } from '../obs/metrics.ts';
import { logEvent } from '../obs/log-events.ts';

export interface IssuerKeyOptions {
  readonly maxJWKSBytes?: number;
  readonly maxJWKSKeys?: number;
  /** Overrides for key fetching (tests shorten cooldowns). */
  readonly keySetOptions?: Partial<KeySetOptions>;
}

export function createIssuerKeys(
  options: IssuerKeyOptions, endpointFetch: EndpointFetch | undefined, metrics: Metrics, logger: Logger,
): IssuerKeyStore {
  const keys = new IssuerKeyStore({
    ...(endpointFetch === undefined ? {} : { fetch: endpointFetch }),
    ...(options.maxJWKSBytes === undefined
      ? {}
      : { fetchLimits: { timeoutMs: DEFAULT_KEY_SET_OPTIONS.fetchLimits.timeoutMs, maxBytes: options.maxJWKSBytes } }),
    ...(options.maxJWKSKeys === undefined ? {} : { maxKeys: options.maxJWKSKeys }),
    ...options.keySetOptions,
  });
  keys.onRefresh((refresh) => {
    if (!refresh.ok && refresh.limit !== undefined) metrics.limitHit(refresh.limit);
    metrics.jwksRefresh(refresh.issuer, refresh.ok);
    if (refresh.ok) logEvent(logger, 'jwks_refreshed', { issuer: refresh.issuer }, 'issuer keys loaded');
    else {
      logEvent(
        logger, 'jwks_refresh_failed', { issuer: refresh.issuer, jwks_uri: refresh.jwksUri, error: refresh.error },
        'issuer keys could not be fetched',
      );
    }
  });
  return keys;
}
