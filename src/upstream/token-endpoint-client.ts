/**
 * The protocol side of upstream tokens. The token endpoint of an `issuer` is
 * found by the service's one discovery (src/keys/discovery.ts, ADR 0009): RFC
 * 8414 then OpenID Connect, the same exact-issuer rule and the same bounds as
 * for key sets, through the same fetch. openid-client does the grants: RFC 8693
 * token exchange and RFC 6749 §4.4 client credentials with RFC 8707
 * `resource`, client authentication client_secret_basic, a time limit per
 * request. Plain http is allowed only for loopback hosts, as for issuers.
 * Redirects are never followed (both ask for `redirect: manual`, and the
 * guarded fetch of Kubernetes mode insists on it): a 3xx is a bad answer.
 */
import * as oauth from 'openid-client';
import { discoverEndpoint } from '../keys/discovery.ts';
import { DEFAULT_FETCH_LIMITS, FetchJSONError, type FetchLimits } from '../keys/fetch-json.ts';
import { refusalIn, type EndpointFetch } from '../net/endpoint-failure.ts';
import { isLoopbackHost } from '../policy/uri-rules.ts';
import type { RuntimeUpstream } from '../core/runtime-policy.ts';

const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

export interface IssuedToken {
  readonly accessToken: string;
  /** Seconds since the epoch; undefined when the server did not say. */
  readonly expiresAt: number | undefined;
}

export class TokenEndpointError extends Error {
  override readonly name = 'TokenEndpointError';
}

function allowsPlainHTTP(url: string): boolean {
  const parsed = new URL(url);
  return parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname);
}

export class TokenEndpointClient {
  readonly #timeoutMs: number;
  readonly #now: () => number;
  readonly #fetch: oauth.CustomFetch | undefined;
  /** Undefined: the global fetch, looked up at each call. */
  readonly #endpointFetch: EndpointFetch | undefined;
  readonly #discoveryLimits: FetchLimits;
  /** Discovered server metadata per issuer. */
  readonly #servers = new Map<string, Promise<oauth.ServerMetadata>>();

  /**
   * `fetch`: how the token endpoint and discovery are reached; default the global fetch (Kubernetes mode guards it).
   * Discovery takes at most `timeoutMs` and reads at most `maxDiscoveryBytes` (default that of key sets).
   */
  constructor(options: {
    readonly timeoutMs: number;
    readonly now?: () => number;
    readonly fetch?: EndpointFetch;
    readonly maxDiscoveryBytes?: number;
  }) {
    this.#timeoutMs = options.timeoutMs;
    this.#now = options.now ?? (() => Date.now() / 1000);
    this.#discoveryLimits = { timeoutMs: options.timeoutMs, maxBytes: options.maxDiscoveryBytes ?? DEFAULT_FETCH_LIMITS.maxBytes };
    const fetcher = options.fetch;
    this.#endpointFetch = fetcher;
    // openid-client's options type `body` a little wider (`undefined`); the values are fetch's.
    this.#fetch = fetcher === undefined ? undefined : (url, init) => fetcher(url, init as RequestInit);
  }

  async request(upstream: RuntimeUpstream, clientSecret: string, subjectToken: string | undefined): Promise<IssuedToken> {
    const config = new oauth.Configuration(
      await this.#server(upstream), upstream.clientId, undefined, oauth.ClientSecretBasic(clientSecret),
    );
    config.timeout = this.#timeoutMs / 1000;
    if (this.#fetch !== undefined) config[oauth.customFetch] = this.#fetch;
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- deprecated only as a warning sign; used for loopback http alone
    if (allowsPlainHTTP(config.serverMetadata().token_endpoint ?? '')) oauth.allowInsecureRequests(config);
    const parameters: Record<string, string> = {};
    if (upstream.resource !== undefined) parameters.resource = upstream.resource;
    if (upstream.audience !== undefined) parameters.audience = upstream.audience;
    if (upstream.scopes.length > 0) parameters.scope = upstream.scopes.join(' ');
    let response;
    try {
      if (upstream.grant === 'token_exchange') {
        if (subjectToken === undefined) throw new TokenEndpointError('token exchange needs the client token');
        response = await oauth.genericGrantRequest(config, TOKEN_EXCHANGE_GRANT, {
          ...parameters, subject_token: subjectToken, subject_token_type: ACCESS_TOKEN_TYPE,
        });
      } else {
        response = await oauth.clientCredentialsGrant(config, parameters);
      }
    } catch (error) {
      throw new TokenEndpointError(describe(error));
    }
    if (typeof response.access_token !== 'string' || response.access_token === '') {
      throw new TokenEndpointError('token endpoint returned no access_token');
    }
    const expiresIn = response.expiresIn();
    return { accessToken: response.access_token, expiresAt: expiresIn === undefined ? undefined : this.#now() + expiresIn };
  }

  #server(upstream: RuntimeUpstream): Promise<oauth.ServerMetadata> {
    if (upstream.tokenEndpoint !== undefined) {
      return Promise.resolve({ issuer: upstream.issuer ?? new URL(upstream.tokenEndpoint).origin, token_endpoint: upstream.tokenEndpoint });
    }
    const issuer = upstream.issuer ?? '';
    let server = this.#servers.get(issuer);
    if (server === undefined) {
      server = discoverEndpoint(issuer, 'token_endpoint', this.#discoveryLimits, this.#endpointFetch).then(
        (tokenEndpoint): oauth.ServerMetadata => ({ issuer, token_endpoint: tokenEndpoint }),
        (error: unknown) => {
          this.#servers.delete(issuer); // try discovery again next time
          // A FetchJSONError's message is log-safe by construction: every URL tried and why, never a body.
          const message = error instanceof FetchJSONError ? error.message : `discovery of ${issuer} failed: ${describe(error)}`;
          throw new TokenEndpointError(message);
        },
      );
      this.#servers.set(issuer, server);
    }
    return server;
  }
}

/**
 * A log-safe description: the OAuth error code with the HTTP status, a bad
 * answer's status, `timeout`, `unreachable` or `refused: …` — never a body, a
 * token, or the network stack's text (it names resolved addresses).
 */
export function describe(error: unknown): string {
  const candidate = error as { error?: unknown; status?: unknown; code?: unknown; name?: unknown; cause?: unknown } | null;
  if (typeof candidate?.error === 'string') {
    return `${candidate.error}${typeof candidate.status === 'number' ? ` (HTTP ${String(candidate.status)})` : ''}`;
  }
  if (typeof candidate?.status === 'number') return `bad answer (HTTP ${String(candidate.status)})`;
  // openid-client's "unexpected HTTP response status code" carries the response as its cause.
  const answered = (candidate?.cause as { status?: unknown } | null | undefined)?.status;
  if (typeof answered === 'number') return `bad answer (HTTP ${String(answered)})`;
  if (candidate?.name === 'TimeoutError' || candidate?.name === 'AbortError'
    || candidate?.code === 'OAUTH_TIMEOUT' || candidate?.code === 'OAUTH_ABORT') return 'timeout';
  const refused = refusalIn(error);
  if (refused !== undefined) return refused;
  if (error instanceof TypeError && candidate?.code === undefined) return 'unreachable'; // "fetch failed": its cause names addresses
  if (typeof candidate?.code === 'string') return candidate.code; // openid-client's constant codes, e.g. OAUTH_RESPONSE_IS_NOT_JSON
  return 'request failed';
}
