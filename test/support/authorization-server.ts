// A real, local OAuth 2.0 authorization server for tests and the demo, built on
// oidc-provider: it issues RFC 9068 JWT access tokens for RFC 8707 resource
// indicators through the client_credentials grant, serves discovery and a JWKS
// on 127.0.0.1, and adds a few knobs tests need (key rotation, a JWKS outage,
// a JWKS request counter, arbitrary tokens signed with the real key).
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KeyObject } from 'node:crypto';
import { CompactSign, base64url, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import type { JWK } from 'jose';

/** Configuration for {@link startAuthorizationServer}. */
export interface AuthorizationServerOptions {
  /** resource indicators (RFC 8707) this server issues JWT access tokens for, with their scopes */
  resources: { resource: string; scopes: string[] }[];
  /** port on 127.0.0.1, 0 = ephemeral */
  port?: number;
}

/** A running local authorization server; see {@link startAuthorizationServer}. */
export interface LocalAuthorizationServer {
  /** e.g. http://127.0.0.1:PORT, exactly what tokens carry in `iss` (and what discovery advertises) */
  issuer: string;
  /** the server's jwks_uri as advertised by discovery */
  jwksUri: string;
  /**
   * client_credentials grant with `resource` (RFC 8707) and `scope`: returns the raw access token
   * (an RFC 9068 JWT, typ at+jwt, aud = resource). `scope` defaults to all scopes configured for the
   * resource; `clientId` defaults to `mcp-client` (`other-client` is also registered). Rejects with the
   * token endpoint's error (e.g. `invalid_target` for an unknown resource).
   */
  issueToken(request: { resource: string; scope?: string; clientId?: string }): Promise<string>;
  /**
   * Sign an arbitrary token with the server's CURRENT signing key, for crafted negative cases.
   * The header defaults to `{ alg: 'RS256', typ: 'at+jwt', kid: <current kid> }` and `header` is merged
   * over it (a value of `undefined` removes that parameter). The alg must be one jose can produce with
   * an RSA key (RS* or PS*); for anything else (`none`, HS256, ...) use {@link unsignedToken}.
   */
  signCustomToken(payload: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>;
  /**
   * Rotate: generate a new RS256 signing key with a new kid, make it the one used for new tokens and
   * publish it in the JWKS. Earlier keys stay published unless `dropOld` is true.
   */
  rotateSigningKey(options?: { dropOld?: boolean }): Promise<void>;
  /** make the JWKS endpoint (and only it) answer 503 (`false`) or work again (`true`) */
  setJwksAvailable(available: boolean): void;
  /** how many times the JWKS endpoint was requested, including requests answered with 503 */
  jwksRequestCount(): number;
  /** stop listening and drop open connections; the port is free once this resolves */
  close(): Promise<void>;
}

/** Client registered at every local authorization server: id and client_secret (client_secret_basic). */
export const LOCAL_CLIENTS: readonly { readonly clientId: string; readonly clientSecret: string }[] = [
  { clientId: 'mcp-client', clientSecret: 'mcp-client-secret' },
  { clientId: 'other-client', clientSecret: 'other-client-secret' },
];

/**
 * An unsigned compact JWS: base64url(header).base64url(payload). with an empty signature, for tokens
 * jose refuses to produce (alg `none`, algorithms that don't fit an RSA key, malformed headers).
 */
export function unsignedToken(header: Record<string, unknown>, payload: Record<string, unknown>): string {
  return `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(payload))}.`;
}

// ---------------------------------------------------------------------------
// The slice of oidc-provider's API used here. oidc-provider ships no type
// declarations (and @types/oidc-provider is not a dependency), so the module is
// loaded through a non-literal specifier and cast once to this narrow shape.

type KoaContext = object;

interface OidcProviderInstance {
  readonly issuer: string;
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
}

interface OidcProviderModule {
  default: new (issuer: string, configuration: Record<string, unknown>) => OidcProviderInstance;
  errors: { InvalidTarget: new (description?: string) => Error };
}

interface ResourceServerInfo {
  scope: string;
  accessTokenFormat: 'jwt';
  audience: string;
  accessTokenTTL: number;
  jwt: { sign: { alg: 'RS256' } };
}

interface AdapterEntry {
  payload: Record<string, unknown>;
  expiresAt: number;
}

let oidcProviderModule: Promise<OidcProviderModule> | undefined;

function loadOidcProvider(): Promise<OidcProviderModule> {
  const specifier: string = 'oidc-provider';
  // Narrow cast: the untyped module is described by OidcProviderModule above.
  oidcProviderModule ??= import(specifier) as Promise<OidcProviderModule>;
  return oidcProviderModule;
}

// ---------------------------------------------------------------------------

const JWKS_PATH = '/jwks';
const TOKEN_PATH = '/token';
const ACCESS_TOKEN_TTL_SECONDS = 300;

interface SigningKey {
  kid: string;
  /** private JWK as handed to oidc-provider (kty, n, e, d, ..., kid, alg, use) */
  jwk: JWK;
  privateKey: KeyObject;
}

async function generateSigningKey(): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
  const exported = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(exported);
  const jwk: JWK = { ...exported, kid, alg: 'RS256', use: 'sig' };
  // A KeyObject (unlike the RS256-bound CryptoKey) lets signCustomToken use other RSA algs too.
  return { kid, jwk, privateKey: KeyObject.from(privateKey) };
}

/**
 * A Map-backed oidc-provider adapter (a factory called with the model name). It keeps the provider
 * from warning about its development-only default adapter, and is shared across the Provider
 * instances a server goes through when its keys rotate.
 */
function createAdapterFactory(): (model: string) => Record<string, unknown> {
  const store = new Map<string, AdapterEntry>();
  return (model: string) => {
    const key = (id: string): string => `${model}:${id}`;
    const find = (id: string): Record<string, unknown> | undefined => {
      const entry = store.get(key(id));
      if (entry === undefined) return undefined;
      if (entry.expiresAt <= Date.now()) {
        store.delete(key(id));
        return undefined;
      }
      return entry.payload;
    };
    const findBy = (field: string, value: string): Record<string, unknown> | undefined => {
      for (const [storedKey, entry] of store) {
        if (storedKey.startsWith(`${model}:`) && entry.payload[field] === value && entry.expiresAt > Date.now()) {
          return entry.payload;
        }
      }
      return undefined;
    };
    return {
      upsert: (id: string, payload: Record<string, unknown>, expiresIn?: number): Promise<void> => {
        const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Number.POSITIVE_INFINITY;
        store.set(key(id), { payload, expiresAt });
        return Promise.resolve();
      },
      find: (id: string) => Promise.resolve(find(id)),
      findByUid: (uid: string) => Promise.resolve(findBy('uid', uid)),
      findByUserCode: (userCode: string) => Promise.resolve(findBy('userCode', userCode)),
      consume: (id: string): Promise<void> => {
        const payload = find(id);
        if (payload !== undefined) payload.consumed = Math.floor(Date.now() / 1000);
        return Promise.resolve();
      },
      destroy: (id: string): Promise<void> => {
        store.delete(key(id));
        return Promise.resolve();
      },
      revokeByGrantId: (grantId: string): Promise<void> => {
        for (const [storedKey, entry] of store) {
          if (entry.payload.grantId === grantId) store.delete(storedKey);
        }
        return Promise.resolve();
      },
    };
  };
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      reject(error);
    };
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function basicAuthorization(clientId: string, clientSecret: string): string {
  // RFC 6749 section 2.3.1: form-urlencode both parts before base64.
  const encode = (value: string): string => new URLSearchParams({ v: value }).toString().slice(2);
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}

/**
 * Start a local authorization server on 127.0.0.1 (`port`, default ephemeral). It listens first so the
 * issuer (`http://127.0.0.1:PORT`) is known, then builds the oidc-provider instance with it.
 */
export async function startAuthorizationServer(options: AuthorizationServerOptions): Promise<LocalAuthorizationServer> {
  const { default: Provider, errors } = await loadOidcProvider();

  const resources = new Map<string, string[]>();
  for (const { resource, scopes } of options.resources) {
    resources.set(resource, [...scopes]);
  }
  const allScopes = [...new Set(options.resources.flatMap((entry) => entry.scopes))];

  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  let jwksAvailable = true;
  let jwksRequests = 0;

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path === JWKS_PATH) {
      jwksRequests += 1;
      if (!jwksAvailable) {
        res.writeHead(503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify({ error: 'temporarily_unavailable' }));
        return;
      }
    }
    if (handler === undefined) {
      res.writeHead(503).end();
      return;
    }
    handler(req, res);
  });

  const port = await listen(server, options.port ?? 0);
  const issuer = `http://127.0.0.1:${port}`;
  const adapter = createAdapterFactory();

  // Newest first: oidc-provider signs with the first key that fits RS256.
  let keys: SigningKey[] = [await generateSigningKey()];

  const buildProvider = (): OidcProviderInstance => {
    const getResourceServerInfo = (_ctx: KoaContext, resourceIndicator: string): Promise<ResourceServerInfo> => {
      const scopes = resources.get(resourceIndicator);
      if (scopes === undefined) {
        return Promise.reject(new errors.InvalidTarget(`unknown resource indicator: ${resourceIndicator}`));
      }
      return Promise.resolve({
        scope: scopes.join(' '),
        accessTokenFormat: 'jwt',
        audience: resourceIndicator,
        accessTokenTTL: ACCESS_TOKEN_TTL_SECONDS,
        jwt: { sign: { alg: 'RS256' } },
      });
    };

    const provider = new Provider(issuer, {
      adapter,
      jwks: { keys: keys.map((key) => key.jwk) },
      clients: LOCAL_CLIENTS.map(({ clientId, clientSecret }) => ({
        client_id: clientId,
        client_secret: clientSecret,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      })),
      scopes: allScopes,
      // Machine clients only: no authorization endpoint flows.
      responseTypes: [],
      routes: { jwks: JWKS_PATH, token: TOKEN_PATH },
      ttl: { ClientCredentials: ACCESS_TOKEN_TTL_SECONDS },
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        resourceIndicators: {
          enabled: true,
          // A client_credentials request must name its resource; no default audience.
          defaultResource: (_ctx: KoaContext, _client: unknown, oneOf?: string | string[]) => Promise.resolve(oneOf),
          getResourceServerInfo,
        },
      },
      // Defaults that would otherwise print "you SHOULD/MUST change it" notices if reached.
      clientBasedCORS: () => false,
      findAccount: () => Promise.resolve(undefined),
      renderError: (ctx: { type: string; body: unknown }, out: Record<string, unknown>) => {
        ctx.type = 'application/json';
        ctx.body = out;
      },
    });
    return provider;
  };

  try {
    handler = buildProvider().callback();
  } catch (error) {
    server.close();
    throw error;
  }

  const currentKey = (): SigningKey => {
    const [key] = keys;
    if (key === undefined) throw new Error('authorization server has no signing key');
    return key;
  };

  return {
    issuer,
    jwksUri: `${issuer}${JWKS_PATH}`,

    async issueToken({ resource, scope, clientId = 'mcp-client' }) {
      const client = LOCAL_CLIENTS.find((candidate) => candidate.clientId === clientId);
      const body = new URLSearchParams({ grant_type: 'client_credentials', resource });
      const requestedScope = scope ?? resources.get(resource)?.join(' ');
      if (requestedScope !== undefined && requestedScope !== '') body.set('scope', requestedScope);
      const response = await fetch(`${issuer}${TOKEN_PATH}`, {
        method: 'POST',
        headers: {
          authorization: basicAuthorization(clientId, client?.clientSecret ?? 'not-a-registered-client'),
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body,
      });
      const json = (await response.json()) as Record<string, unknown>;
      if (!response.ok) {
        const code = typeof json.error === 'string' ? json.error : 'unknown_error';
        const description = typeof json.error_description === 'string' ? `: ${json.error_description}` : '';
        throw new Error(`token endpoint answered ${response.status} ${code}${description}`);
      }
      if (typeof json.access_token !== 'string') {
        throw new Error('token endpoint response has no access_token');
      }
      return json.access_token;
    },

    async signCustomToken(payload, header = {}) {
      const key = currentKey();
      const merged: Record<string, unknown> = { alg: 'RS256', typ: 'at+jwt', kid: key.kid, ...header };
      const { alg } = merged;
      if (typeof alg !== 'string') {
        throw new TypeError('signCustomToken needs a string alg; use unsignedToken() for other headers');
      }
      return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
        .setProtectedHeader({ ...merged, alg })
        .sign(key.privateKey);
    },

    async rotateSigningKey({ dropOld = false } = {}) {
      const next = await generateSigningKey();
      const previous = keys;
      keys = dropOld ? [next] : [next, ...previous];
      try {
        handler = buildProvider().callback();
      } catch (error) {
        keys = previous;
        throw error;
      }
    },

    setJwksAvailable(available) {
      jwksAvailable = available;
    },

    jwksRequestCount() {
      return jwksRequests;
    },

    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((error) => {
          if (error) reject(error);
          else resolve();
        });
        server.closeAllConnections();
      });
    },
  };
}
