/**
 * The core's `TokenIntrospector` at the edge: remembered answers first
 * (introspection-answers.ts), then one request per token however many checks
 * miss it at once (single flight), and at most `maxInFlight` requests per
 * endpoint — a check that would need one more is answered `unavailable` at
 * once, so a flood of made-up opaque tokens becomes at most that many
 * requests in flight, never a flood at the authorization server. A request
 * has `timeoutMs` (below the check's own deadline) for everything: the client
 * secret, discovery and the answer. Failures are not remembered.
 *
 * Neither the token nor the client secret leaves this file except in the
 * request to the endpoint: keys are SHA-256 digests, and `events` get only
 * the issuer and a log-safe failure description.
 */
import type { RuntimeIntrospection, RuntimeIssuer } from '../core/runtime-policy.ts';
import type { IntrospectionResult, TokenIntrospector } from '../core/token-introspector.ts';
import type { PresentedToken } from '../core/token-verifier.ts';
import type { IntrospectionAnswers } from './introspection-answers.ts';
import type { IntrospectionEndpointClient } from './introspection-endpoint-client.ts';

/** The closed set of request outcomes (`audience_guard_introspection_requests_total{result}`). */
export type IntrospectionRequestResult = 'active' | 'inactive' | 'failure' | 'rejected_busy';

export interface IntrospectionEvents {
  /** One request outcome; `error` (failures only) is log-safe: status codes and fixed words. */
  request(issuer: string, result: IntrospectionRequestResult, error?: string): void;
}

export interface RemoteIntrospectorOptions {
  /** Requests in flight per endpoint at most (`--introspection-concurrency`). */
  readonly maxInFlight: number;
  /** Time for one request, everything included; below the check timeout. */
  readonly timeoutMs: number;
}

/** Where the client secret comes from (src/upstream/client-secret-resolver.ts, the upstream side's own rules). */
export interface SecretSource {
  resolve(source: RuntimeIntrospection['clientSecret']): Promise<string>;
}

export class RemoteIntrospector implements TokenIntrospector {
  readonly #client: Pick<IntrospectionEndpointClient, 'introspect'>;
  readonly #secrets: SecretSource;
  readonly #answers: IntrospectionAnswers;
  readonly #events: IntrospectionEvents;
  readonly #options: RemoteIntrospectorOptions;
  readonly #pending = new Map<string, Promise<IntrospectionResult>>();
  readonly #inFlight = new Map<string, number>();

  constructor(
    client: Pick<IntrospectionEndpointClient, 'introspect'>, secrets: SecretSource, answers: IntrospectionAnswers,
    events: IntrospectionEvents, options: RemoteIntrospectorOptions,
  ) {
    this.#client = client;
    this.#secrets = secrets;
    this.#answers = answers;
    this.#events = events;
    this.#options = options;
  }

  introspect(token: PresentedToken, issuer: RuntimeIssuer, introspection: RuntimeIntrospection): Promise<IntrospectionResult> {
    const key = `${introspection.endpointId}\u0000${token.digest.toString('base64')}`;
    const remembered = this.#answers.get(key);
    if (remembered !== undefined) return Promise.resolve({ kind: 'answer', answer: remembered });
    const pending = this.#pending.get(key);
    if (pending !== undefined) return pending;
    // Per endpoint, whichever policy or client asks: many policies naming one server share its limit.
    const endpoint = `${issuer.issuer} ${introspection.endpoint ?? '(discovered)'}`;
    const inFlight = this.#inFlight.get(endpoint) ?? 0;
    if (inFlight >= this.#options.maxInFlight) {
      this.#events.request(issuer.issuer, 'rejected_busy');
      return Promise.resolve({ kind: 'unavailable' });
    }
    this.#inFlight.set(endpoint, inFlight + 1);
    const request = this.#request(token.value, issuer.issuer, introspection, key).finally(() => {
      this.#pending.delete(key);
      const left = (this.#inFlight.get(endpoint) ?? 1) - 1;
      if (left === 0) this.#inFlight.delete(endpoint);
      else this.#inFlight.set(endpoint, left);
    });
    this.#pending.set(key, request);
    return request;
  }

  async #request(token: string, issuer: string, introspection: RuntimeIntrospection, key: string): Promise<IntrospectionResult> {
    const started = Date.now();
    try {
      const secret = await this.#secrets.resolve(introspection.clientSecret);
      const left = this.#options.timeoutMs - (Date.now() - started);
      if (left <= 0) throw new Error('timeout');
      const answer = await this.#client.introspect(issuer, introspection, secret, token, left);
      this.#answers.remember(key, answer, introspection.cacheSeconds);
      this.#events.request(issuer, answer.active === true ? 'active' : 'inactive');
      return { kind: 'answer', answer };
    } catch (error) {
      // Both error kinds thrown on this path carry log-safe messages (no body, no token, no secret, no addresses).
      this.#events.request(issuer, 'failure', (error as Error).message);
      return { kind: 'unavailable' };
    }
  }
}
