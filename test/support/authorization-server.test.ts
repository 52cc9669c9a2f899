import { strict as assert } from 'node:assert';
import { createServer } from 'node:net';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
} from 'jose';
import type { JSONWebKeySet } from 'jose';
import { startAuthorizationServer, unsignedToken } from './authorization-server.ts';
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

describe('local authorization server (oidc-provider)', () => {
  let server: LocalAuthorizationServer;

  before(async () => {
    server = await startAuthorizationServer({ resources: RESOURCES });
  });

  after(async () => {
    await server.close();
  });

  it('advertises its issuer and jwks_uri through discovery', async () => {
    const discovery = await discover(server);
    assert.match(server.issuer, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(discovery.issuer, server.issuer);
    assert.equal(discovery.jwks_uri, server.jwksUri);
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
