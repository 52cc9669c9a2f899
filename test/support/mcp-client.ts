/**
 * A real MCP client for end-to-end tests: the official SDK's Client and
 * StreamableHTTPClientTransport with an OAuthClientProvider. The SDK does the
 * whole MCP authorization flow itself — 401 with `resource_metadata`, the
 * RFC 9728 document, authorization server metadata, dynamic registration,
 * authorization code + PKCE with the RFC 8707 `resource` — and this provider
 * only plays the user agent: it follows the authorization redirects (login and
 * consent are answered by the local authorization server's interactive mode)
 * and keeps the code for `finishAuth`.
 */
import { randomUUID } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';

/** Never contacted: the user agent stops at the redirect to it and reads the code. */
const REDIRECT_URL = 'http://127.0.0.1:9/callback';

/** Follows authorization redirects with a cookie jar until the redirect to `redirectUrl`; returns its query. */
export async function driveAuthorization(authorizationUrl: URL, redirectUrl: string): Promise<URLSearchParams> {
  const cookies = new Map<string, string>();
  let url = authorizationUrl.href;
  for (let hop = 0; hop < 10; hop += 1) {
    const response = await fetch(url, {
      redirect: 'manual',
      headers: { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';', 1);
      const at = pair.indexOf('=');
      cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
    await response.body?.cancel();
    const location = response.headers.get('location');
    if (location === null) throw new Error(`authorization stopped at ${String(response.status)} without a redirect`);
    const next = new URL(location, url);
    if (next.href.startsWith(redirectUrl)) return next.searchParams;
    url = next.href;
  }
  throw new Error('too many authorization redirects');
}

/** An in-memory OAuthClientProvider that authorizes without a person. */
export class TestOAuthProvider implements OAuthClientProvider {
  /** Every authorization request URL the SDK sent the user agent to. */
  readonly authorizationUrls: URL[] = [];
  #client: OAuthClientInformationMixed | undefined;
  #tokens: OAuthTokens | undefined;
  #verifier = '';
  #state = '';
  #code: string | undefined;

  get redirectUrl(): string {
    return REDIRECT_URL;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'audience-guard e2e client',
      redirect_uris: [REDIRECT_URL],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }

  state(): string {
    this.#state = randomUUID();
    return this.#state;
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    return this.#client;
  }

  saveClientInformation(information: OAuthClientInformationMixed): void {
    this.#client = information;
  }

  tokens(): OAuthTokens | undefined {
    return this.#tokens;
  }

  saveTokens(tokens: OAuthTokens): void {
    this.#tokens = tokens;
  }

  /** Replaces the access token the SDK sends (a token for another resource, in attack tests). */
  useAccessToken(accessToken: string): void {
    this.#tokens = { access_token: accessToken, token_type: 'Bearer' };
  }

  async redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    this.authorizationUrls.push(authorizationUrl);
    const answer = await driveAuthorization(authorizationUrl, REDIRECT_URL);
    if (answer.get('state') !== this.#state) throw new Error('authorization answer with a foreign state');
    const code = answer.get('code');
    if (code === null) throw new Error(`authorization failed: ${answer.get('error') ?? 'no code'}`);
    this.#code = code;
  }

  /** The code of the last authorization, once (what a redirect handler would receive). */
  takeCode(): string {
    const code = this.#code;
    if (code === undefined) throw new Error('no authorization code');
    this.#code = undefined;
    return code;
  }

  saveCodeVerifier(verifier: string): void {
    this.#verifier = verifier;
  }

  codeVerifier(): string {
    return this.#verifier;
  }
}

export interface McpSession {
  readonly client: Client;
  readonly transport: StreamableHTTPClientTransport;
}

/**
 * Runs `action` (connecting, listing or calling a tool) as an MCP application does: when the SDK
 * stops with UnauthorizedError after sending the user agent off, the code is exchanged with
 * `finishAuth` and the action retried once.
 */
export async function withAuthorization<T>(provider: TestOAuthProvider, session: () => McpSession, action: (session: McpSession) => Promise<T>): Promise<T> {
  const first = session();
  try {
    return await action(first);
  } catch (error) {
    if (!(error instanceof UnauthorizedError)) throw error;
    await first.transport.finishAuth(provider.takeCode());
    await first.client.close();
    return action(session());
  }
}

/** A Client and transport for `url`; `fetch` lets a test add headers the SDK does not send. */
export function mcpSession(url: URL, provider: TestOAuthProvider, fetch?: FetchLike): McpSession {
  const transport = new StreamableHTTPClientTransport(url, { authProvider: provider, ...(fetch === undefined ? {} : { fetch }) });
  const client = new Client({ name: 'audience-guard-e2e', version: '1.0.0' });
  return { client, transport };
}

/** Connects (authorizing first when needed) and returns the connected session. */
export async function connectAuthorized(url: URL, provider: TestOAuthProvider, fetch?: FetchLike): Promise<McpSession> {
  return withAuthorization(provider, () => mcpSession(url, provider, fetch), async (session) => {
    await session.client.connect(session.transport);
    return session;
  });
}

/**
 * A fetch that adds the MCP 2026-07-28 mirrored headers to every JSON-RPC POST, as a 2026-07-28
 * client does: `Mcp-Method`, `Mcp-Name` (`params.name`, else `params.uri`) and
 * `MCP-Protocol-Version: 2026-07-28`. The SDK (1.32) speaks 2025-11-25 and sends none of them.
 */
export function mirroredHeadersFetch(base: FetchLike = fetch): FetchLike {
  return (url, init) => {
    if (init?.method !== 'POST' || typeof init.body !== 'string') return base(url, init);
    const message = JSON.parse(init.body) as { method?: unknown; params?: { name?: unknown; uri?: unknown } };
    const headers = new Headers(init.headers);
    if (typeof message.method === 'string') {
      headers.set('mcp-method', message.method);
      const name = message.params?.name ?? message.params?.uri;
      if (typeof name === 'string') headers.set('mcp-name', name);
      headers.set('mcp-protocol-version', '2026-07-28');
    }
    return base(url, { ...init, headers });
  };
}
