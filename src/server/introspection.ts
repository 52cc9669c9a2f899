/**
 * Wiring of token introspection (README "Opaque tokens"): the endpoint client
 * (through the guarded fetch in Kubernetes mode), the client secrets under the
 * same rules as upstream credentials (Kubernetes Secrets of the policy's
 * namespace, files only below `DIR/<namespace>/` there), the answer cache, and
 * the metrics and logs. A request may take the check timeout less a margin
 * for answering, so a slow endpoint is `introspection_unavailable`, not a
 * check `timeout`. Failures are logged at most once per second per issuer.
 */
import type { SecretReader } from '../kubernetes/secret-reader.ts';
import type { EndpointFetch } from '../net/endpoint-failure.ts';
import { logEvent } from '../obs/log-events.ts';
import type { Logger } from '../obs/logger.ts';
import type { Metrics } from '../obs/metrics.ts';
import { ClientSecretResolver } from '../upstream/client-secret-resolver.ts';
import { IntrospectionAnswers } from '../introspection/introspection-answers.ts';
import { IntrospectionEndpointClient } from '../introspection/introspection-endpoint-client.ts';
import { RemoteIntrospector } from '../introspection/remote-introspector.ts';

/** Left for answering, out of the check timeout. */
const ANSWER_MARGIN_MS = 20;
/** A request never takes longer than this, whatever the check timeout. */
const MAX_REQUEST_MS = 5_000;

export interface IntrospectionSettings {
  readonly checkTimeoutMs: number;
  /** `--introspection-cache-size`; default 10,000. */
  readonly introspectionCacheSize?: number;
  /** `--introspection-concurrency`; default 64. */
  readonly introspectionConcurrency?: number;
}

export interface IntrospectionParts {
  readonly secrets: SecretReader | undefined;
  /** Kubernetes mode only: secret files are read only below `DIR/<namespace>/`. */
  readonly secretFileDirs: readonly string[] | undefined;
  readonly endpointFetch: EndpointFetch | undefined;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Seconds clock of the checks. */
  readonly now: () => number;
}

export function createIntrospector(settings: IntrospectionSettings, parts: IntrospectionParts): RemoteIntrospector {
  const { metrics, logger } = parts;
  const answers = new IntrospectionAnswers({
    maxEntries: settings.introspectionCacheSize ?? 10_000, now: parts.now, onEvict: () => { metrics.limitHit('introspection_cache'); },
  });
  const logged = new Map<string, { at: number; suppressed: number }>();
  const logFailure = (issuer: string, error: string): void => {
    const now = Date.now();
    const last = logged.get(issuer);
    if (last !== undefined && now - last.at < 1_000) {
      last.suppressed += 1;
      return;
    }
    const suppressed = last?.suppressed ?? 0;
    logged.set(issuer, { at: now, suppressed: 0 });
    logEvent(
      logger, 'introspection_failed', { issuer, error, ...(suppressed > 0 ? { suppressed } : {}) },
      'token introspection failed',
    );
  };
  return new RemoteIntrospector(
    new IntrospectionEndpointClient({ fetch: parts.endpointFetch }),
    new ClientSecretResolver(parts.secrets, parts.secretFileDirs === undefined ? {} : { secretFileDirs: parts.secretFileDirs }),
    answers,
    {
      request: (issuer, result, error) => {
        metrics.introspectionRequest(issuer, result);
        if (result === 'failure') logFailure(issuer, error ?? 'request failed');
      },
    },
    {
      maxInFlight: settings.introspectionConcurrency ?? 64,
      timeoutMs: Math.min(MAX_REQUEST_MS, Math.max(1, settings.checkTimeoutMs - ANSWER_MARGIN_MS)),
    },
  );
}
