/**
 * Wiring of upstream credentials (docs/contract.md §2.8): the token endpoint
 * client, the secret sources (Kubernetes Secrets in Kubernetes mode, files
 * always) and the provider's metrics and logs. A check waits for a token
 * request at most until shortly before its own deadline, so a slow token
 * endpoint answers `upstream_token_unavailable`; the request goes on and serves
 * later checks.
 */
import type { SecretReader } from '../kubernetes/secret-reader.ts';
import type { Logger } from '../obs/logger.ts';
import { logEvent } from '../obs/log-events.ts';
import type { Metrics } from '../obs/metrics.ts';
import type { EndpointFetch } from '../net/endpoint-failure.ts';
import { ClientSecretResolver } from '../upstream/client-secret-resolver.ts';
import { TokenEndpointClient } from '../upstream/token-endpoint-client.ts';
import { UpstreamTokenProvider } from '../upstream/upstream-token-provider.ts';

/** Time a token request may take in the background (it also bounds discovery). */
const TOKEN_REQUEST_TIMEOUT_MS = 5_000;
/** Left for answering after the wait, out of the check timeout. */
const ANSWER_MARGIN_MS = 20;

/**
 * `secretFileDirs` is given in Kubernetes mode only: there a policy's secret
 * file is read only below `DIR/<its namespace>/` (the same rule that admitted it).
 * `endpointFetch`: how token endpoints are reached (guarded in Kubernetes mode); default the global fetch.
 */
export function createUpstreamTokens(
  options: { readonly checkTimeoutMs: number; readonly upstreamTokenCacheSize?: number },
  secrets: SecretReader | undefined, secretFileDirs: readonly string[] | undefined,
  metrics: Metrics, logger: Logger, endpointFetch?: EndpointFetch,
): UpstreamTokenProvider {
  return new UpstreamTokenProvider(
    new TokenEndpointClient({ timeoutMs: TOKEN_REQUEST_TIMEOUT_MS, ...(endpointFetch === undefined ? {} : { fetch: endpointFetch }) }),
    new ClientSecretResolver(secrets, secretFileDirs === undefined ? {} : { secretFileDirs }),
    {
      request: (policy, ok, reason) => {
        metrics.upstreamTokenRequest(policy.namespace, policy.name, policy.upstream?.grant ?? 'client_credentials', ok);
        // `reason` is built from error codes and statuses only: never a token or secret.
        if (!ok) {
          logEvent(
            logger, 'upstream_token_failed', { policy: policy.id, grant: policy.upstream?.grant, error: reason },
            'upstream token could not be obtained',
          );
        }
      },
      cache: (policy, hit) => { metrics.upstreamTokenCache(policy.namespace, policy.name, hit); },
      evicted: () => { metrics.limitHit('upstream_token_cache'); },
    },
    {
      maxWaitMs: Math.max(1, options.checkTimeoutMs - ANSWER_MARGIN_MS),
      ...(options.upstreamTokenCacheSize === undefined ? {} : { maxEntries: options.upstreamTokenCacheSize }),
    },
  );
}
