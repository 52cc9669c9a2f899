import { strict as assert } from 'node:assert';
import { createServer } from 'node:net';
import {
  base64url,
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
} from 'jose';
import type { JSONWebKeySet } from 'jose';
import {
  ACCESS_TOKEN_TYPE,
  TOKEN_EXCHANGE_GRANT_TYPE,
  LOCAL_CLIENTS,
  basicAuthorization,
  startAuthorizationServer,
  unsignedToken,
} from './authorization-server.ts';
import type { LocalAuthorizationServer } from './authorization-server.ts';

const MCP = 'https://mcp.example.com/mcp';
const OTHER = 'https://other.example.com/api';
const RESOURCES = [
  { resource: MCP, scopes: ['mcp:read', 'mcp:write'] },
  { resource: OTHER, scopes: ['other:read'] },
];

interface Discovery {
  issuer: string;
  jwks_uri: string;
  token_endpoint: string;
  grant_types_supported: string[];
}

async function discover(server: LocalAuthorizationServer): Promise<Discovery> {
  const response = await fetch(`${server.issuer}/.well-known/openid-configuration`);
  assert.equal(response.status, 200);
  return (await response.json()) as Discovery;
}

async function fetchJwks(server: LocalAuthorizationServer): Promise<JSONWebKeySet> {
  const response = await fetch(server.jwksUri);
  assert.equal(response.status, 200);
  return (await response.json()) as JSONWebKeySet;
}

function kids(jwks: JSONWebKeySet): (string | undefined)[] {
  return jwks.keys.map((key) => key.kid);
}

async function verifyWithDiscovery(server: LocalAuthorizationServer, token: string, audience: string) {
  const discovery = await discover(server);
  const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri));
  return jwtVerify(token, jwks, { issuer: discovery.issuer, audience, typ: 'at+jwt', algorithms: ['RS256'] });
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => {
      resolve(false);
    });
    probe.listen(port, '127.0.0.1', () => {
      probe.close(() => {
        resolve(true);
      });
    });
  });
}

const GUARD = { clientId: 'audience-guard', clientSecret: 'audience-guard-secret' };
const OTHER_CLIENT = LOCAL_CLIENTS.find((client) => client.clientId === 'other-client')!;

interface ExchangeRequest {
  subjectToken?: string;
  subjectTokenType?: string;
  resource?: string | string[];
  audience?: string;
  scope?: string;
  client?: { clientId: string; clientSecret: string };
}

interface TokenEndpointAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** POST an RFC 8693 token exchange to the advertised token endpoint (client_secret_basic). */
async function exchange(server: LocalAuthorizationServer, request: ExchangeRequest): Promise<TokenEndpointAnswer> {
  const { client = GUARD } = request;
  const form = new URLSearchParams({ grant_type: TOKEN_EXCHANGE_GRANT_TYPE });
  if (request.subjectToken !== undefined) form.set('subject_token', request.subjectToken);
  form.set('subject_token_type', request.subjectTokenType ?? ACCESS_TOKEN_TYPE);
  const resources = typeof request.resource === 'string' ? [request.resource] : (request.resource ?? []);
  for (const resource of resources) form.append('resource', resource);
  if (request.audience !== undefined) form.set('audience', request.audience);
  if (request.scope !== undefined) form.set('scope', request.scope);
  const response = await fetch(server.tokenEndpoint, {
    method: 'POST',
    headers: {
      authorization: basicAuthorization(client.clientId, client.clientSecret),
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: form,
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

/** An exchange that must succeed: its access_token. */
async function exchangedToken(server: LocalAuthorizationServer, request: ExchangeRequest): Promise<string> {
  const { status, body } = await exchange(server, request);
  assert.equal(status, 200, `token exchange failed: ${JSON.stringify(body)}`);
  assert.equal(typeof body.access_token, 'string');
  return body.access_token as string;
}

function assertTokenError(answer: TokenEndpointAnswer, status: number, error: string): void {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.equal(answer.body.error, error, JSON.stringify(answer.body));
  assert.equal(answer.body.access_token, undefined);
}

/** A compact JWS with one payload claim changed and the original signature kept. */
function tamper(token: string, claims: Record<string, unknown>): string {
  const [header, payload, signature] = token.split('.');
  const changed = { ...decodeJwt(token), ...claims };
  assert.notEqual(base64url.encode(JSON.stringify(changed)), payload);
  return `${header!}.${base64url.encode(JSON.stringify(changed))}.${signature!}`;
}

describe('local authorization server (oidc-provider)', () => {
  let server: LocalAuthorizationServer;

  before(async () => {
    server = await startAuthorizationServer({ resources: RESOURCES });
  });

  after(async () => {
    await server.close();
  });

  it('advertises its issuer, jwks_uri, token_endpoint and grants through discovery', async () => {
    const discovery = await discover(server);
    assert.match(server.issuer, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(discovery.issuer, server.issuer);
    assert.equal(discovery.jwks_uri, server.jwksUri);
    assert.equal(discovery.token_endpoint, server.tokenEndpoint);
    assert.deepEqual([...discovery.grant_types_supported].sort(), ['client_credentials', TOKEN_EXCHANGE_GRANT_TYPE]);
    const jwks = await fetchJwks(server);
    assert.equal(jwks.keys.length, 1);
    const key = jwks.keys[0]!;
    assert.equal(key.kty, 'RSA');
    assert.equal(key.alg, 'RS256');
    assert.equal(typeof key.kid, 'string');
    assert.equal(key.d, undefined, 'the JWKS must not publish private key material');
  });

  it('issues an RFC 9068 JWT access token bound to the requested resource', async () => {
    const token = await server.issueToken({ resource: MCP });
    const { payload, protectedHeader } = await verifyWithDiscovery(server, token, MCP);

    assert.equal(protectedHeader.typ, 'at+jwt');
    assert.equal(protectedHeader.alg, 'RS256');
    assert.equal(protectedHeader.kid, (await fetchJwks(server)).keys[0]?.kid);

    assert.equal(payload.iss, server.issuer);
    assert.equal(payload.aud, MCP);
    assert.equal(payload.client_id, 'mcp-client');
    assert.equal(payload.sub, 'mcp-client');
    assert.equal(payload.scope, 'mcp:read mcp:write');
    assert.equal(typeof payload.jti, 'string');
    assert.equal(typeof payload.iat, 'number');
    assert.equal(typeof payload.exp, 'number');
    assert.ok(payload.exp! > payload.iat!);
  });

  it('narrows scope to the resource and identifies the requesting client', async () => {
    const token = await server.issueToken({ resource: MCP, scope: 'mcp:read other:read', clientId: 'other-client' });
    const { payload } = await verifyWithDiscovery(server, token, MCP);
    assert.equal(payload.client_id, 'other-client');
    assert.equal(payload.scope, 'mcp:read');

    const otherToken = await server.issueToken({ resource: OTHER });
    const verified = await verifyWithDiscovery(server, otherToken, OTHER);
    assert.equal(verified.payload.aud, OTHER);
    await assert.rejects(verifyWithDiscovery(server, otherToken, MCP), joseErrors.JWTClaimValidationFailed);
  });

  it('refuses unknown resources and unknown clients', async () => {
    await assert.rejects(server.issueToken({ resource: 'https://unknown.example.com/' }), /400 invalid_target/);
    await assert.rejects(server.issueToken({ resource: MCP, clientId: 'nobody' }), /401 invalid_client/);
  });

  it('signs custom tokens with the current key, with header overrides', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await server.signCustomToken({ iss: server.issuer, aud: MCP, client_id: 'x', iat: now, exp: now + 60 });
    const { protectedHeader } = await verifyWithDiscovery(server, token, MCP);
    assert.equal(protectedHeader.kid, (await fetchJwks(server)).keys[0]?.kid);

    const jwt = await server.signCustomToken({ aud: MCP }, { typ: 'JWT', kid: undefined });
    assert.deepEqual(decodeProtectedHeader(jwt), { alg: 'RS256', typ: 'JWT' });

    const ps = await server.signCustomToken({ aud: MCP }, { alg: 'PS256' });
    const jwks = createLocalJWKSet(await fetchJwks(server));
    // The published key is RS256-only, so a PS256 signature by the same key is not accepted.
    await assert.rejects(jwtVerify(ps, jwks));

    await assert.rejects(server.signCustomToken({}, { alg: 'none' }));
    const none = unsignedToken({ alg: 'none', typ: 'at+jwt' }, { aud: MCP });
    assert.match(none, /^[\w-]+\.[\w-]+\.$/);
    assert.deepEqual(decodeProtectedHeader(none), { alg: 'none', typ: 'at+jwt' });
    assert.deepEqual(decodeJwt(none), { aud: MCP });
  });

  it('answers 503 on the JWKS endpoint only while unavailable, counting every request', async () => {
    const before = server.jwksRequestCount();
    server.setJwksAvailable(false);
    try {
      const down = await fetch(server.jwksUri);
      assert.equal(down.status, 503);
      await down.body?.cancel();
      assert.equal(server.jwksRequestCount(), before + 1);

      await discover(server);
      const token = await server.issueToken({ resource: MCP });
      assert.equal(decodeJwt(token).aud, MCP);
      assert.equal(server.jwksRequestCount(), before + 1, 'only JWKS requests are counted');

      const jwks = createRemoteJWKSet(new URL(server.jwksUri));
      await assert.rejects(jwtVerify(token, jwks));
      assert.equal(server.jwksRequestCount(), before + 2);
    } finally {
      server.setJwksAvailable(true);
    }
    await fetchJwks(server);
    assert.equal(server.jwksRequestCount(), before + 3);
  });
});

describe('local authorization server key rotation', () => {
  let server: LocalAuthorizationServer;

  beforeEach(async () => {
    server = await startAuthorizationServer({ resources: RESOURCES });
  });

  afterEach(async () => {
    await server.close();
  });

  it('signs new tokens with a new kid, published alongside the old key', async () => {
    const issuer = server.issuer;
    const oldJwks = await fetchJwks(server);
    const oldToken = await server.issueToken({ resource: MCP });
    const oldKid = decodeProtectedHeader(oldToken).kid;
    assert.deepEqual(kids(oldJwks), [oldKid]);

    await server.rotateSigningKey();

    const newToken = await server.issueToken({ resource: MCP });
    const newKid = decodeProtectedHeader(newToken).kid;
    assert.equal(typeof newKid, 'string');
    assert.notEqual(newKid, oldKid);

    assert.equal(server.issuer, issuer);
    const discovery = await discover(server);
    assert.equal(discovery.issuer, issuer);
    assert.equal(discovery.jwks_uri, server.jwksUri);
    assert.deepEqual(kids(await fetchJwks(server)), [newKid, oldKid]);

    const verified = await verifyWithDiscovery(server, newToken, MCP);
    assert.equal(verified.payload.iss, issuer);
    await verifyWithDiscovery(server, oldToken, MCP);
    // A JWKS snapshot from before the rotation cannot verify the new token.
    await assert.rejects(jwtVerify(newToken, createLocalJWKSet(oldJwks)), joseErrors.JWKSNoMatchingKey);

    const custom = await server.signCustomToken({ aud: MCP });
    assert.equal(decodeProtectedHeader(custom).kid, newKid);
  });

  it('drops old keys from the JWKS when asked', async () => {
    const oldToken = await server.issueToken({ resource: MCP });
    await server.rotateSigningKey({ dropOld: true });
    const newToken = await server.issueToken({ resource: MCP });
    const newKid = decodeProtectedHeader(newToken).kid;

    assert.deepEqual(kids(await fetchJwks(server)), [newKid]);
    await verifyWithDiscovery(server, newToken, MCP);
    await assert.rejects(verifyWithDiscovery(server, oldToken, MCP), joseErrors.JWKSNoMatchingKey);
  });
});

describe('local authorization server token exchange (RFC 8693)', () => {
  let server: LocalAuthorizationServer;
  let subjectToken: string;

  before(async () => {
    server = await startAuthorizationServer({ resources: RESOURCES, clients: [GUARD] });
    subjectToken = await server.issueToken({ resource: MCP, scope: 'mcp:read' });
  });

  after(async () => {
    await server.close();
  });

  afterEach(() => {
    server.setTokenEndpointAvailable(true);
    server.setTokenEndpointDelay(0);
  });

  it('exchanges a valid access token for an RFC 9068 JWT bound to another configured resource', async () => {
    const { status, body } = await exchange(server, { subjectToken, resource: OTHER });
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'issued_token_type', 'scope', 'token_type']);
    assert.equal(body.issued_token_type, ACCESS_TOKEN_TYPE);
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 300);
    assert.equal(body.scope, 'other:read');

    const token = body.access_token as string;
    assert.notEqual(token, subjectToken);
    const { payload, protectedHeader } = await verifyWithDiscovery(server, token, OTHER);
    assert.equal(protectedHeader.typ, 'at+jwt');
    assert.equal(protectedHeader.alg, 'RS256');
    assert.equal(protectedHeader.kid, decodeProtectedHeader(subjectToken).kid);
    assert.equal(payload.iss, server.issuer);
    assert.equal(payload.aud, OTHER);
    assert.equal(payload.sub, 'mcp-client', "the subject token's sub");
    assert.equal(payload.client_id, GUARD.clientId, 'the exchanging client');
    assert.deepEqual(payload.act, { sub: GUARD.clientId });
    assert.equal(payload.scope, 'other:read');
    assert.equal(typeof payload.jti, 'string');
    assert.notEqual(payload.jti, decodeJwt(subjectToken).jti);
    assert.equal(payload.exp! - payload.iat!, 300);
    await assert.rejects(verifyWithDiscovery(server, token, MCP), joseErrors.JWTClaimValidationFailed);
  });

  it("keeps the subject's sub, nests an earlier actor and accepts the target as audience", async () => {
    const now = Math.floor(Date.now() / 1000);
    const userToken = await server.signCustomToken({
      iss: server.issuer,
      sub: 'user-123',
      aud: MCP,
      client_id: 'mcp-client',
      act: { sub: 'gateway' },
      iat: now,
      exp: now + 60,
    });
    const token = await exchangedToken(server, { subjectToken: userToken, audience: OTHER });
    const { payload } = await verifyWithDiscovery(server, token, OTHER);
    assert.equal(payload.sub, 'user-123');
    assert.equal(payload.client_id, GUARD.clientId);
    assert.deepEqual(payload.act, { sub: GUARD.clientId, act: { sub: 'gateway' } });

    // resource and audience naming the same target are one target
    const both = await exchangedToken(server, { subjectToken, resource: OTHER, audience: OTHER });
    assert.equal(decodeJwt(both).aud, OTHER);
  });

  it('narrows the requested scope to the target resource', async () => {
    const narrowed = await exchange(server, { subjectToken, resource: MCP, scope: 'mcp:write other:read' });
    assert.equal(narrowed.status, 200, JSON.stringify(narrowed.body));
    assert.equal(narrowed.body.scope, 'mcp:write');
    assert.equal(decodeJwt(narrowed.body.access_token as string).scope, 'mcp:write');

    const defaulted = await exchange(server, { subjectToken, resource: MCP });
    assert.equal(defaulted.body.scope, 'mcp:read mcp:write');

    const none = await exchange(server, { subjectToken, resource: OTHER, scope: 'mcp:read' });
    assert.equal(none.status, 200, JSON.stringify(none.body));
    assert.equal(none.body.scope, undefined);
    assert.equal(decodeJwt(none.body.access_token as string).scope, undefined);
  });

  it('lets any registered client exchange, and refuses unauthenticated ones', async () => {
    const token = await exchangedToken(server, { subjectToken, resource: OTHER, client: OTHER_CLIENT });
    assert.equal(decodeJwt(token).client_id, 'other-client');
    assertTokenError(
      await exchange(server, { subjectToken, resource: OTHER, client: { ...GUARD, clientSecret: 'wrong' } }),
      401,
      'invalid_client',
    );
  });

  it('answers invalid_target for unknown or several targets, invalid_request for none', async () => {
    assertTokenError(await exchange(server, { subjectToken, resource: 'https://unknown.example.com/' }), 400, 'invalid_target');
    assertTokenError(await exchange(server, { subjectToken, audience: 'unknown-audience' }), 400, 'invalid_target');
    assertTokenError(await exchange(server, { subjectToken, resource: [MCP, OTHER] }), 400, 'invalid_target');
    assertTokenError(await exchange(server, { subjectToken, resource: MCP, audience: OTHER }), 400, 'invalid_target');
    assertTokenError(await exchange(server, { subjectToken }), 400, 'invalid_request');
  });

  it('answers invalid_request for a missing subject_token or another subject_token_type', async () => {
    assertTokenError(await exchange(server, { resource: OTHER }), 400, 'invalid_request');
    for (const subjectTokenType of [
      'urn:ietf:params:oauth:token-type:jwt',
      'urn:ietf:params:oauth:token-type:id_token',
      'urn:ietf:params:oauth:token-type:refresh_token',
    ]) {
      const answer = await exchange(server, { subjectToken, subjectTokenType, resource: OTHER });
      assertTokenError(answer, 400, 'invalid_request');
      assert.match(String(answer.body.error_description), /subject_token_type/);
    }
  });

  it('answers invalid_grant for tampered, expired, foreign or unsigned subject tokens', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: server.issuer, sub: 'user-123', aud: MCP, client_id: 'mcp-client', iat: now - 120 };
    const foreignServer = await startAuthorizationServer({ resources: RESOURCES });
    let foreign: string;
    let foreignKeyOurIssuer: string;
    try {
      foreign = await foreignServer.issueToken({ resource: MCP });
      foreignKeyOurIssuer = await foreignServer.signCustomToken({ ...claims, exp: now + 60 });
    } finally {
      await foreignServer.close();
    }

    const invalid: Record<string, string> = {
      tampered: tamper(subjectToken, { sub: 'someone-else' }),
      'tampered scope': tamper(subjectToken, { scope: 'mcp:read mcp:write' }),
      expired: await server.signCustomToken({ ...claims, exp: now - 60 }),
      'without exp': await server.signCustomToken(claims),
      'without sub': await server.signCustomToken({ ...claims, sub: undefined, exp: now + 60 }),
      'not yet valid': await server.signCustomToken({ ...claims, nbf: now + 600, exp: now + 900 }),
      'foreign issuer and key': foreign,
      'foreign key, our issuer': foreignKeyOurIssuer,
      'our key, foreign issuer': await server.signCustomToken({ ...claims, iss: 'https://elsewhere.example.com', exp: now + 60 }),
      'not an access token (typ JWT)': await server.signCustomToken({ ...claims, exp: now + 60 }, { typ: 'JWT' }),
      'alg none': unsignedToken({ alg: 'none', typ: 'at+jwt' }, { ...claims, exp: now + 60 }),
      'not a JWT': 'opaque-token-value',
    };
    for (const [label, token] of Object.entries(invalid)) {
      const answer = await exchange(server, { subjectToken: token, resource: OTHER });
      assert.equal(answer.status, 400, `${label}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.error, 'invalid_grant', `${label}: ${JSON.stringify(answer.body)}`);
    }
  });

  it('counts token-exchange and client_credentials requests, whatever their outcome', async () => {
    const exchanges = server.tokenExchangeCount();
    const clientCredentials = server.clientCredentialsCount();

    await exchangedToken(server, { subjectToken, resource: OTHER });
    await exchange(server, { subjectToken, resource: 'https://unknown.example.com/' });
    await exchange(server, { subjectToken: 'garbage', resource: OTHER });
    await exchange(server, { subjectToken, resource: OTHER, client: { clientId: 'nobody', clientSecret: 'x' } });
    assert.equal(server.tokenExchangeCount(), exchanges + 4);
    assert.equal(server.clientCredentialsCount(), clientCredentials);

    await server.issueToken({ resource: OTHER });
    await assert.rejects(server.issueToken({ resource: 'https://unknown.example.com/' }), /invalid_target/);
    assert.equal(server.clientCredentialsCount(), clientCredentials + 2);
    assert.equal(server.tokenExchangeCount(), exchanges + 4);

    // discovery, JWKS and other grant types are not counted
    await discover(server);
    await fetchJwks(server);
    const refresh = await fetch(server.tokenEndpoint, {
      method: 'POST',
      headers: { authorization: basicAuthorization(GUARD.clientId, GUARD.clientSecret), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'x' }),
    });
    assert.equal(refresh.status, 400);
    await refresh.body?.cancel();
    assert.equal(server.tokenExchangeCount(), exchanges + 4);
    assert.equal(server.clientCredentialsCount(), clientCredentials + 2);
  });

  it('answers 503 on the token endpoint only while unavailable, counting those requests too', async () => {
    const exchanges = server.tokenExchangeCount();
    const clientCredentials = server.clientCredentialsCount();
    const jwksRequests = server.jwksRequestCount();
    server.setTokenEndpointAvailable(false);

    const down = await exchange(server, { subjectToken, resource: OTHER });
    assertTokenError(down, 503, 'temporarily_unavailable');
    await assert.rejects(server.issueToken({ resource: MCP }), /503 temporarily_unavailable/);
    assert.equal(server.tokenExchangeCount(), exchanges + 1);
    assert.equal(server.clientCredentialsCount(), clientCredentials + 1);

    // discovery and the JWKS keep working, so tokens issued before still verify
    const discovery = await discover(server);
    assert.equal(discovery.token_endpoint, server.tokenEndpoint);
    await verifyWithDiscovery(server, subjectToken, MCP);
    assert.ok(server.jwksRequestCount() > jwksRequests);

    server.setTokenEndpointAvailable(true);
    const token = await exchangedToken(server, { subjectToken, resource: OTHER });
    await verifyWithDiscovery(server, token, OTHER);
    assert.equal(server.tokenExchangeCount(), exchanges + 2);
  });

  it('delays token endpoint answers, which still arrive', async () => {
    const delayMs = 150;
    server.setTokenEndpointDelay(delayMs);
    const started = performance.now();
    const [exchanged, issued] = await Promise.all([
      exchangedToken(server, { subjectToken, resource: OTHER }),
      server.issueToken({ resource: MCP }),
    ]);
    // a lower bound only: timers never fire early, but may fire (much) late on a busy machine
    assert.ok(performance.now() - started >= delayMs - 5);
    assert.equal(decodeJwt(exchanged).aud, OTHER);
    assert.equal(decodeJwt(issued).aud, MCP);

    // the delay holds back the token endpoint only
    const fetchedAt = performance.now();
    await discover(server);
    await fetchJwks(server);
    assert.ok(performance.now() - fetchedAt < 10_000);

    // a delayed 503 still arrives as a 503
    server.setTokenEndpointAvailable(false);
    assertTokenError(await exchange(server, { subjectToken, resource: OTHER }), 503, 'temporarily_unavailable');

    server.setTokenEndpointAvailable(true);
    server.setTokenEndpointDelay(0);
    await exchangedToken(server, { subjectToken, resource: OTHER });
    assert.throws(() => {
      server.setTokenEndpointDelay(-1);
    }, RangeError);
  });
});

describe('local authorization server token exchange across key rotation', () => {
  let server: LocalAuthorizationServer;

  beforeEach(async () => {
    server = await startAuthorizationServer({ resources: RESOURCES });
  });

  afterEach(async () => {
    await server.close();
  });

  it('accepts subject tokens signed with a still-published earlier key, not with a dropped one', async () => {
    const first = await server.issueToken({ resource: MCP });
    await server.rotateSigningKey();
    const second = await server.issueToken({ resource: MCP });

    const exchanged = await exchangedToken(server, { subjectToken: first, resource: OTHER, client: OTHER_CLIENT });
    assert.equal(decodeProtectedHeader(exchanged).kid, decodeProtectedHeader(second).kid, 'signed with the current key');
    await verifyWithDiscovery(server, exchanged, OTHER);

    await server.rotateSigningKey({ dropOld: true });
    const answer = await exchange(server, { subjectToken: second, resource: OTHER, client: OTHER_CLIENT });
    assertTokenError(answer, 400, 'invalid_grant');
  });
});

describe('local authorization server lifecycle', () => {
  it('close() frees the port, which a new server can then be started on', async () => {
    const first = await startAuthorizationServer({ resources: RESOURCES });
    const port = Number(new URL(first.issuer).port);
    await first.issueToken({ resource: MCP }); // leaves a keep-alive connection behind
    assert.equal(await portIsFree(port), false);

    await first.close();
    assert.equal(await portIsFree(port), true);
    await assert.rejects(fetch(first.jwksUri));

    const second = await startAuthorizationServer({ resources: RESOURCES, port });
    try {
      assert.equal(second.issuer, `http://127.0.0.1:${port}`);
      const token = await second.issueToken({ resource: MCP });
      await verifyWithDiscovery(second, token, MCP);
    } finally {
      await second.close();
    }
  });
});
