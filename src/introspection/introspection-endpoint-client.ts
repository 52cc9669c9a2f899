/**
 * The protocol side of token introspection (RFC 7662), done by openid-client
 * (`tokenIntrospection`, client_secret_basic, `token_type_hint=access_token`).
 * The endpoint is the policy's, or `introspection_endpoint` found by the
 * service's one discovery (src/keys/discovery.ts, ADR 0009). Every request
 * goes through the caller's fetch — the endpoint guard in Kubernetes mode —
 * with redirects never followed, the answer read up to 64 KiB, and a time
 * limit. Plain http only for loopback hosts, as for issuers.
 */
import * as oauth from 'openid-client';
import { discoverEndpoint } from '../keys/discovery.ts';
import { DEFAULT_FETCH_LIMITS, FetchJSONError, readCapped } from '../keys/fetch-json.ts';
import type { EndpointFetch } from '../net/endpoint-failure.ts';
import { isLoopbackHost } from '../policy/uri-rules.ts';
import { describe } from '../upstream/token-endpoint-client.ts';
import type { RuntimeIntrospection } from '../core/runtime-policy.ts';

/** Introspection answers are small JSON objects; a larger one is a bad answer. */
const MAX_ANSWER_BYTES = 64 * 1024;
/** How long a discovery may take in the background; a check waits for it only within its own time limit. */
const DISCOVERY_TIMEOUT_MS = 5_000;

export class IntrospectionEndpointError extends Error {
  override readonly name = 'IntrospectionEndpointError';
}

function allowsPlainHTTP(url: string): boolean {
  const parsed = new URL(url);
  return parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname);
}

/** `fetcher` with the answer read (at most `maxBytes`) before openid-client sees it, and redirects never followed. */
function boundedFetch(fetcher: EndpointFetch): oauth.CustomFetch {
  return async (url, init) => {
    const response = await fetcher(url, { ...(init as RequestInit), redirect: 'manual' });
    const text = await readCapped(response, MAX_ANSWER_BYTES).catch(async (error: unknown) => {
      await response.body?.cancel().catch(() => undefined);
      throw error;
    });
    const contentType = response.headers.get('content-type');
    return new Response(text, { status: response.status, headers: contentType === null ? {} : { 'content-type': contentType } });
  };
}

export class IntrospectionEndpointClient {
  readonly #fetch: oauth.CustomFetch;
  readonly #endpointFetch: EndpointFetch | undefined;
  /** Discovered introspection endpoints per issuer. */
  readonly #endpoints = new Map<string, Promise<string>>();

  /** `fetch`: how endpoints and discovery are reached; default the global fetch (Kubernetes mode passes the guarded one). */
  constructor(options: { readonly fetch?: EndpointFetch | undefined } = {}) {
    this.#endpointFetch = options.fetch;
    this.#fetch = boundedFetch(options.fetch ?? ((url, init) => fetch(url, init)));
  }

  /** The endpoint's answer (a JSON object with a boolean `active`); an IntrospectionEndpointError with a log-safe message otherwise. */
  async introspect(
    issuer: string, introspection: RuntimeIntrospection, clientSecret: string, token: string, timeoutMs: number,
  ): Promise<Readonly<Record<string, unknown>>> {
    const started = Date.now();
    const endpoint = await withTimeout(this.#endpoint(issuer, introspection), timeoutMs);
    const left = timeoutMs - (Date.now() - started);
    if (left <= 0) throw new IntrospectionEndpointError('timeout');
    const config = new oauth.Configuration(
      { issuer, introspection_endpoint: endpoint }, introspection.clientId, undefined, oauth.ClientSecretBasic(clientSecret),
    );
    config.timeout = left / 1000;
    config[oauth.customFetch] = this.#fetch;
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- deprecated only as a warning sign; used for loopback http alone
    if (allowsPlainHTTP(endpoint)) oauth.allowInsecureRequests(config);
    try {
      return await oauth.tokenIntrospection(config, token, { token_type_hint: 'access_token' });
    } catch (error) {
      throw new IntrospectionEndpointError(error instanceof FetchJSONError ? error.message : describe(error));
    }
  }

  #endpoint(issuer: string, introspection: RuntimeIntrospection): Promise<string> {
    if (introspection.endpoint !== undefined) return Promise.resolve(introspection.endpoint);
    let endpoint = this.#endpoints.get(issuer);
    if (endpoint === undefined) {
      const limits = { timeoutMs: DISCOVERY_TIMEOUT_MS, maxBytes: DEFAULT_FETCH_LIMITS.maxBytes };
      endpoint = discoverEndpoint(issuer, 'introspection_endpoint', limits, this.#endpointFetch).catch((error: unknown) => {
        this.#endpoints.delete(issuer); // try discovery again next time
        // A FetchJSONError's message is log-safe by construction: every URL tried and why, never a body.
        throw new IntrospectionEndpointError(error instanceof FetchJSONError ? error.message : 'discovery failed');
      });
      this.#endpoints.set(issuer, endpoint);
    }
    return endpoint;
  }
}

/** `promise`, or an IntrospectionEndpointError('timeout') after `ms`; the promise itself goes on (discovery is shared). */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new IntrospectionEndpointError('timeout')); }, ms);
  });
  return Promise.race([promise, expired]).finally(() => { clearTimeout(timer); });
}
