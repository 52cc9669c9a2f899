// A real, local OAuth 2.0 authorization server for tests and the demo, built on
// oidc-provider: it issues RFC 9068 JWT access tokens for RFC 8707 resource
// indicators through the client_credentials grant and through RFC 8693 token
// exchange (a custom grant registered with the provider), serves discovery and a
// JWKS on 127.0.0.1, and adds a few knobs tests need (key rotation, JWKS and
// token endpoint outages, a token endpoint delay, request counters, arbitrary
// tokens signed with the real key).
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KeyObject } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CompactSign,
  base64url,
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  jwtVerify,
} from 'jose';
import type { JWK, JWTPayload } from 'jose';
import { introspectionFeature, type IntrospectionControls, type IntrospectionOptions } from './introspection-server.ts';
import { INTERACTION_PATH, answerInteraction, interactiveConfiguration, type InteractiveProvider } from './interactive-authorization.ts';
import { senderConstrainedClientMetadata, senderConstrainedFeatures, senderConstrainedRequestHeaders } from './sender-constrained-tokens.ts';

/** RFC 8693 grant type served by the token endpoint. */
export const TOKEN_EXCHANGE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** RFC 8693 token type identifier for access tokens (the only subject/issued token type supported). */
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/** A confidential client (client_secret_basic) registered at a local authorization server. */
export interface LocalClient {
  readonly clientId: string;
  readonly clientSecret: string;
}

/** Configuration for {@link startAuthorizationServer}. */
export interface AuthorizationServerOptions {
  /** resource indicators (RFC 8707) this server issues JWT access tokens for, with their scopes */
  resources: { resource: string; scopes: string[] }[];
  /** port on 127.0.0.1, 0 = ephemeral */
  port?: number;
  /** clients registered in addition to {@link LOCAL_CLIENTS} (client_secret_basic; same grants) */
  clients?: LocalClient[];
  /** opaque tokens for some resources, and RFC 7662 introspection (test/support/introspection-server.ts) */
  introspection?: IntrospectionOptions;
  /** also serve dynamic registration and the authorization code grant with PKCE (test/support/interactive-authorization.ts) */
  interactive?: boolean;
  /** DPoP-bound (RFC 9449) and certificate-bound (RFC 8705) tokens: test/support/sender-constrained-tokens.ts */
  dpop?: boolean;
  mtls?: boolean;
}

/** A running local authorization server; see {@link startAuthorizationServer}. */
export interface LocalAuthorizationServer {
  /** e.g. http://127.0.0.1:PORT, exactly what tokens carry in `iss` (and what discovery advertises) */
  issuer: string;
  /** the server's jwks_uri as advertised by discovery */
  jwksUri: string;
  /**
   * the server's token_endpoint as advertised by discovery. Besides client_credentials it serves
   * RFC 8693 token exchange ({@link TOKEN_EXCHANGE_GRANT_TYPE}) for every registered client:
   * `subject_token` (a JWT access token from this server, verified against its current and earlier
   * published keys), `subject_token_type` ({@link ACCESS_TOKEN_TYPE}, else `invalid_request`), exactly one
   * target in `resource` and/or `audience` (a configured resource, else `invalid_target`) and an
   * optional `scope` (narrowed to the target's scopes; all of them when absent). The answer is an
   * RFC 9068 JWT with aud = target, sub = the subject token's sub, client_id = the exchanging client
   * and `act: { sub: <client_id> }` (the subject token's own `act`, if any, nested inside). A subject
   * token that is not valid here answers `invalid_grant`.
   */
  tokenEndpoint: string;
  /**
   * client_credentials grant with `resource` (RFC 8707) and `scope`: returns the raw access token
   * (an RFC 9068 JWT, typ at+jwt, aud = resource). `scope` defaults to all scopes configured for the
   * resource; `clientId` defaults to `mcp-client` (`other-client` and any `clients` option entries are
   * also registered). Rejects with the token endpoint's error (e.g. `invalid_target` for an unknown
   * resource).
   */
  issueToken(request: { resource: string; scope?: string; clientId?: string; dpopProof?: string; clientCertificate?: string }): Promise<string>;
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
  /**
   * make the token endpoint (and only it: discovery and the JWKS keep working) answer 503 (`false`)
   * or work again (`true`)
   */
  setTokenEndpointAvailable(available: boolean): void;
  /** hold every token endpoint answer (503s included) back by `ms` milliseconds; 0 = no delay */
  setTokenEndpointDelay(ms: number): void;
  /**
   * how many token-exchange requests reached the token endpoint (by their grant_type), whatever the
   * outcome: errors, client authentication failures and 503s included
   */
  tokenExchangeCount(): number;
  /** how many client_credentials requests reached the token endpoint, counted like {@link tokenExchangeCount} */
  clientCredentialsCount(): number;
  /** set when started with `introspection` */
  introspection: IntrospectionControls | undefined;
  /** stop listening and drop open connections; the port is free once this resolves */
  close(): Promise<void>;
}

/** Clients registered at every local authorization server: id and client_secret (client_secret_basic). */
export const LOCAL_CLIENTS: readonly LocalClient[] = [
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

/** oidc-provider's Client model, as far as it is used here */
interface OidcClient {
  readonly clientId: string;
}

/** ctx.oidc on the token endpoint once parameters are assembled and the client is authenticated */
interface TokenEndpointContext {
  body: unknown;
  readonly oidc: {
    readonly params: Readonly<Record<string, unknown>>;
    readonly client: OidcClient;
    entity(name: string, value: object): void;
  };
}

/** any request passing through the provider's Koa middleware (ctx.oidc exists on its own routes only) */
interface ProviderRequestContext {
  readonly method: string;
  readonly path: string;
  readonly oidc?: { readonly body?: Readonly<Record<string, unknown>> };
}

interface OidcAccessToken {
  scope?: string;
  /** seconds until expiry, from the ttl configuration */
  readonly expiration: number;
  readonly tokenType: string;
  /** stores the token and returns its value (the signed JWT, for the jwt format) */
  save(): Promise<string>;
}

interface OidcProviderInstance {
  readonly issuer: string;
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  use(middleware: (ctx: ProviderRequestContext, next: () => Promise<void>) => Promise<void>): unknown;
  registerGrantType(
    name: string,
    handler: (ctx: TokenEndpointContext) => Promise<void>,
    parameters: readonly string[],
    allowedDuplicateParameters: readonly string[],
  ): void;
  readonly AccessToken: new (fields: {
    accountId: string;
    client: OidcClient;
    resourceServer: object;
    gty: string;
  }) => OidcAccessToken;
  readonly ResourceServer: new (identifier: string, info: ResourceServerInfo) => object;
}

type OidcErrorConstructor = new (description?: string) => Error;

interface OidcProviderModule {
  default: new (issuer: string, configuration: Record<string, unknown>) => OidcProviderInstance;
  errors: {
    InvalidTarget: OidcErrorConstructor;
    InvalidRequest: OidcErrorConstructor;
    /** an error with any `error` code and a description that is shown to the client (status 400) */
    CustomOIDCProviderError: new (error: string, description: string) => Error;
  };
}

interface ResourceServerInfo {
  scope: string;
  accessTokenFormat: 'jwt' | 'opaque';
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
  /** the public half, as the JWKS publishes it; token exchange verifies subject tokens with it */
  publicJwk: JWK;
  privateKey: KeyObject;
}

async function generateSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
  const exported = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(exported);
  const jwk: JWK = { ...exported, kid, alg: 'RS256', use: 'sig' };
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  // A KeyObject (unlike the RS256-bound CryptoKey) lets signCustomToken use other RSA algs too.
  return { kid, jwk, publicJwk, privateKey: KeyObject.from(privateKey) };
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

/** An RFC 6749 client_secret_basic Authorization header value. */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  // RFC 6749 section 2.3.1: form-urlencode both parts before base64.
  const encode = (value: string): string => new URLSearchParams({ v: value }).toString().slice(2);
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}

/** Largest body read from a token request answered with 503 (to count its grant_type). */
const MAX_UNAVAILABLE_BODY_BYTES = 64 * 1024;

async function readSmallBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_UNAVAILABLE_BODY_BYTES) break;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** a parameter allowed to repeat (resource, audience), as a list of its non-empty values */
function parameterValues(value: unknown): string[] {
  const values: unknown[] = Array.isArray(value) ? value : [value];
  return values.filter((item): item is string => typeof item === 'string' && item !== '');
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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
  const clients: LocalClient[] = [...LOCAL_CLIENTS];
  for (const extra of options.clients ?? []) {
    if (clients.some((client) => client.clientId === extra.clientId)) {
      throw new Error(`client ${extra.clientId} is already registered`);
    }
    clients.push({ clientId: extra.clientId, clientSecret: extra.clientSecret });
  }

  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  let currentProvider: OidcProviderInstance | undefined;
  const interactive = options.interactive === true ? interactiveConfiguration() : undefined;
  let jwksAvailable = true;
  let jwksRequests = 0;
  let tokenEndpointAvailable = true;
  let tokenEndpointDelayMs = 0;
  const grantRequests = new Map<string, number>();
  const closing = new AbortController();
  const introspection = options.introspection === undefined ? undefined : introspectionFeature(options.introspection);

  const countGrantRequest = (grantType: unknown): void => {
    if (typeof grantType === 'string') grantRequests.set(grantType, (grantRequests.get(grantType) ?? 0) + 1);
  };

  const unavailable = (res: ServerResponse): void => {
    res.writeHead(503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ error: 'temporarily_unavailable' }));
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (introspection !== undefined && await introspection.intercept(path ?? '/', req, res)) return;
    if (path === JWKS_PATH) {
      jwksRequests += 1;
      if (!jwksAvailable) {
        unavailable(res);
        return;
      }
    }
    if (path === TOKEN_PATH) {
      if (tokenEndpointDelayMs > 0) await sleep(tokenEndpointDelayMs, undefined, { signal: closing.signal });
      if (!tokenEndpointAvailable) {
        // Read the form anyway: it is counted, and the keep-alive connection stays usable.
        countGrantRequest(new URLSearchParams(await readSmallBody(req)).get('grant_type'));
        unavailable(res);
        return;
      }
    }
    if (handler === undefined) {
      res.writeHead(503).end();
      return;
    }
    if (interactive !== undefined && currentProvider !== undefined && path?.startsWith(INTERACTION_PATH) === true) {
      await answerInteraction(currentProvider as unknown as InteractiveProvider, req, res);
      return;
    }
    handler(req, res);
  };

  const server = createServer((req, res) => {
    route(req, res).catch(() => {
      // Only reached when close() cuts a delayed answer short, or the request stream fails.
      res.destroy();
    });
  });

  const port = await listen(server, options.port ?? 0);
  const issuer = `http://127.0.0.1:${port}`;
  const adapter = createAdapterFactory();

  // Newest first: oidc-provider signs with the first key that fits RS256.
  let keys: SigningKey[] = [await generateSigningKey()];

  const getResourceServerInfo = (_ctx: KoaContext, resourceIndicator: string): Promise<ResourceServerInfo> => {
    const scopes = resources.get(resourceIndicator);
    if (scopes === undefined) {
      return Promise.reject(new errors.InvalidTarget(`unknown resource indicator: ${resourceIndicator}`));
    }
    return Promise.resolve({
      scope: scopes.join(' '),
      accessTokenFormat: introspection?.accessTokenFormat(resourceIndicator) ?? 'jwt',
      audience: resourceIndicator,
      accessTokenTTL: ACCESS_TOKEN_TTL_SECONDS,
      jwt: { sign: { alg: 'RS256' } },
    });
  };

  // Extra claims for tokens this server's token exchange is about to sign (read by extraTokenClaims).
  const exchangeClaims = new WeakMap<object, Record<string, unknown>>();

  /** The subject token must be an RFC 9068 access token signed by one of the keys published now. */
  const verifySubjectToken = async (subjectToken: string): Promise<JWTPayload & { sub: string }> => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(subjectToken, createLocalJWKSet({ keys: keys.map((key) => key.publicJwk) }), {
        issuer,
        typ: 'at+jwt',
        algorithms: ['RS256'],
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (error) {
      throw new errors.CustomOIDCProviderError('invalid_grant', `subject_token is not valid: ${errorMessage(error)}`);
    }
    const { sub } = payload;
    if (typeof sub !== 'string' || sub === '') {
      throw new errors.CustomOIDCProviderError('invalid_grant', 'subject_token has no sub');
    }
    return { ...payload, sub };
  };

  const buildProvider = (): OidcProviderInstance => {
    const provider = new Provider(issuer, {
      adapter,
      jwks: { keys: keys.map((key) => key.jwk) },
      clients: clients.map(({ clientId, clientSecret }) => ({
        client_id: clientId,
        client_secret: clientSecret,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['client_credentials', TOKEN_EXCHANGE_GRANT_TYPE],
        response_types: [],
        redirect_uris: [],
        ...senderConstrainedClientMetadata(options),
      })),
      scopes: allScopes,
      // Machine clients only: no authorization endpoint flows.
      responseTypes: [],
      routes: { jwks: JWKS_PATH, token: TOKEN_PATH },
      ttl: { ClientCredentials: ACCESS_TOKEN_TTL_SECONDS, AccessToken: ACCESS_TOKEN_TTL_SECONDS },
      // Called for every AccessToken/ClientCredentials the provider formats; it overwrites whatever
      // `extra` a token model carries, so this is the only way to get `act` into the JWT.
      extraTokenClaims: (_ctx: KoaContext, token: object) => Promise.resolve(exchangeClaims.get(token)),
      features: {
        ...senderConstrainedFeatures(options),
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        ...introspection?.features,
        resourceIndicators: {
          enabled: true,
          // A client_credentials request must name its resource; no default audience.
          defaultResource: (_ctx: KoaContext, _client: unknown, oneOf?: string | string[]) => Promise.resolve(oneOf),
          getResourceServerInfo,
        },
        ...interactive?.features,
      },
      // Defaults that would otherwise print "you SHOULD/MUST change it" notices if reached.
      clientBasedCORS: () => false,
      findAccount: () => Promise.resolve(undefined),
      renderError: (ctx: { type: string; body: unknown }, out: Record<string, unknown>) => {
        ctx.type = 'application/json';
        ctx.body = out;
      },
      ...interactive?.configuration,
    });
    currentProvider = provider;

    // Count token requests by grant_type once the provider has parsed the form, whatever the outcome.
    provider.use(async (ctx, next) => {
      try {
        await next();
      } finally {
        if (ctx.method === 'POST' && ctx.path === TOKEN_PATH) countGrantRequest(ctx.oidc?.body?.grant_type);
      }
    });

    provider.registerGrantType(
      TOKEN_EXCHANGE_GRANT_TYPE,
      async (ctx) => {
        const { params, client } = ctx.oidc;
        const subjectToken = params.subject_token;
        if (typeof subjectToken !== 'string' || subjectToken === '') {
          throw new errors.InvalidRequest("missing required parameter 'subject_token'");
        }
        if (params.subject_token_type !== ACCESS_TOKEN_TYPE) {
          throw new errors.InvalidRequest(`unsupported subject_token_type, only ${ACCESS_TOKEN_TYPE} is accepted`);
        }
        if (params.requested_token_type !== undefined && params.requested_token_type !== ACCESS_TOKEN_TYPE) {
          throw new errors.InvalidRequest(`unsupported requested_token_type, only ${ACCESS_TOKEN_TYPE} is issued`);
        }
        if (params.actor_token !== undefined || params.actor_token_type !== undefined) {
          throw new errors.InvalidRequest('actor_token is not supported; the authenticated client is the actor');
        }
        const targets = new Set([...parameterValues(params.resource), ...parameterValues(params.audience)]);
        if (targets.size === 0) {
          throw new errors.InvalidRequest("missing required parameter 'resource' or 'audience'");
        }
        const [target] = targets;
        if (target === undefined || targets.size > 1) {
          throw new errors.InvalidTarget('exactly one target (resource and/or audience) is supported');
        }
        // Rejects with invalid_target for anything not configured.
        const resourceServer = new provider.ResourceServer(target, await getResourceServerInfo(ctx, target));

        const subject = await verifySubjectToken(subjectToken);

        const targetScopes = resources.get(target) ?? [];
        const requestedScopes = typeof params.scope === 'string' ? params.scope.split(' ') : targetScopes;
        const scope = [...new Set(requestedScopes.filter((value) => targetScopes.includes(value)))].join(' ');

        const token = new provider.AccessToken({
          accountId: subject.sub,
          client,
          resourceServer,
          gty: TOKEN_EXCHANGE_GRANT_TYPE,
        });
        if (scope !== '') token.scope = scope;
        // RFC 8693 section 4.1: the exchanging client is the current actor; earlier actors nest inside.
        const act: Record<string, unknown> = { sub: client.clientId };
        if (typeof subject.act === 'object' && subject.act !== null) act.act = subject.act;
        exchangeClaims.set(token, { act });

        ctx.oidc.entity('AccessToken', token);
        const accessToken = await token.save();
        ctx.body = {
          access_token: accessToken,
          issued_token_type: ACCESS_TOKEN_TYPE,
          token_type: token.tokenType,
          expires_in: token.expiration,
          ...(scope === '' ? {} : { scope }),
        };
      },
      [
        'subject_token',
        'subject_token_type',
        'requested_token_type',
        'actor_token',
        'actor_token_type',
        'resource',
        'audience',
        'scope',
      ],
      ['resource', 'audience'],
    );
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
    tokenEndpoint: `${issuer}${TOKEN_PATH}`,
    introspection: introspection?.controls(issuer, clients),

    async issueToken({ resource, scope, clientId = 'mcp-client', ...senderConstrained }) {
      const client = clients.find((candidate) => candidate.clientId === clientId);
      const body = new URLSearchParams({ grant_type: 'client_credentials', resource });
      const requestedScope = scope ?? resources.get(resource)?.join(' ');
      if (requestedScope !== undefined && requestedScope !== '') body.set('scope', requestedScope);
      const response = await fetch(`${issuer}${TOKEN_PATH}`, {
        method: 'POST',
        headers: {
          authorization: basicAuthorization(clientId, client?.clientSecret ?? 'not-a-registered-client'),
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
          ...senderConstrainedRequestHeaders(senderConstrained),
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

    setTokenEndpointAvailable(available) {
      tokenEndpointAvailable = available;
    },

    setTokenEndpointDelay(ms) {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`token endpoint delay must be >= 0 ms, got ${ms}`);
      tokenEndpointDelayMs = ms;
    },

    tokenExchangeCount() {
      return grantRequests.get(TOKEN_EXCHANGE_GRANT_TYPE) ?? 0;
    },

    clientCredentialsCount() {
      return grantRequests.get('client_credentials') ?? 0;
    },

    close() {
      closing.abort();
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
