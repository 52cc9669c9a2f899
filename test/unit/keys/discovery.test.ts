// Finding an issuer's JWKS URI: RFC 8414 authorization server metadata first
// (well-known segment inserted before the issuer's path, §3.1), then OpenID
// Connect Discovery (appended). A document is used only when its `issuer`
// equals the configured issuer exactly (RFC 8414 §3.3) and its jwks_uri obeys
// the URI rules (https, http only on loopback).
import { strict as assert } from 'node:assert';
import { discoverJWKSUri, discoveryURLs } from '../../../src/keys/discovery.ts';
import { FetchJSONError, type FetchLimits } from '../../../src/keys/fetch-json.ts';
import { json, startLocalServer, type LocalServer } from './local-http.ts';

const LIMITS: FetchLimits = { timeoutMs: 2_000, maxBytes: 64 * 1024 };
const RFC8414_PATH = '/.well-known/oauth-authorization-server/realms/mcp';
const OIDC_PATH = '/realms/mcp/.well-known/openid-configuration';

describe('discoveryURLs', () => {
  it('inserts the RFC 8414 well-known segment between host and issuer path, and appends the OIDC one', () => {
    assert.deepEqual(discoveryURLs('https://idp.example.com/realms/mcp'), [
      'https://idp.example.com/.well-known/oauth-authorization-server/realms/mcp',
      'https://idp.example.com/realms/mcp/.well-known/openid-configuration',
    ]);
  });

  it('drops a terminating slash of the issuer path before inserting or appending', () => {
    assert.deepEqual(discoveryURLs('https://idp.example.com/realms/mcp/'), [
      'https://idp.example.com/.well-known/oauth-authorization-server/realms/mcp',
      'https://idp.example.com/realms/mcp/.well-known/openid-configuration',
    ]);
  });

  for (const issuer of ['https://idp.example.com', 'https://idp.example.com/']) {
    it(`uses the bare well-known paths for an issuer without a path (${issuer})`, () => {
      assert.deepEqual(discoveryURLs(issuer), [
        'https://idp.example.com/.well-known/oauth-authorization-server',
        'https://idp.example.com/.well-known/openid-configuration',
      ]);
    });
  }

  it('keeps an explicit port of the issuer in both URLs', () => {
    assert.deepEqual(discoveryURLs('https://idp.example.com:8443/tenant'), [
      'https://idp.example.com:8443/.well-known/oauth-authorization-server/tenant',
      'https://idp.example.com:8443/tenant/.well-known/openid-configuration',
    ]);
  });
});

describe('discoverJWKSUri', () => {
  let server: LocalServer;
  /** path → document served with 200; anything else is a 404. */
  let documents: Map<string, unknown>;
  let issuer: string;

  beforeEach(async () => {
    documents = new Map();
    server = await startLocalServer((request, response) => {
      const document = documents.get(request.url ?? '');
      if (document === undefined) json(response, 404, { error: 'not_found' });
      else json(response, 200, document);
    });
    issuer = `${server.origin}/realms/mcp`;
  });

  afterEach(async () => {
    await server.close();
  });

  it('prefers RFC 8414 metadata and does not ask for the OIDC document when it is usable', async () => {
    documents.set(RFC8414_PATH, { issuer, jwks_uri: `${server.origin}/rfc8414-keys` });
    documents.set(OIDC_PATH, { issuer, jwks_uri: `${server.origin}/oidc-keys` });
    assert.equal(await discoverJWKSUri(issuer, LIMITS), `${server.origin}/rfc8414-keys`);
    assert.deepEqual(server.requests, [RFC8414_PATH]);
  });

  it('falls back to OpenID Connect discovery when RFC 8414 metadata is missing', async () => {
    documents.set(OIDC_PATH, { issuer, jwks_uri: `${server.origin}/oidc-keys` });
    assert.equal(await discoverJWKSUri(issuer, LIMITS), `${server.origin}/oidc-keys`);
    assert.deepEqual(server.requests, [RFC8414_PATH, OIDC_PATH]);
  });

  for (const [label, other] of [
    ['a trailing slash', (value: string) => `${value}/`],
    ['another path', (value: string) => `${value}-other`],
    ['letter case', (value: string) => value.replace('realms', 'Realms')],
    ['a missing issuer', () => undefined],
  ] as const) {
    it(`must not use a document whose issuer differs by ${label}`, async () => {
      documents.set(RFC8414_PATH, { issuer: other(issuer), jwks_uri: `${server.origin}/wrong-keys` });
      documents.set(OIDC_PATH, { issuer, jwks_uri: `${server.origin}/oidc-keys` });
      assert.equal(await discoverJWKSUri(issuer, LIMITS), `${server.origin}/oidc-keys`);
    });
  }

  it('fails when every document names another issuer', async () => {
    documents.set(RFC8414_PATH, { issuer: `${issuer}/`, jwks_uri: `${server.origin}/keys` });
    documents.set(OIDC_PATH, { issuer: `${issuer}/`, jwks_uri: `${server.origin}/keys` });
    await assert.rejects(discoverJWKSUri(issuer, LIMITS), (error: Error) => error instanceof FetchJSONError && /issuer/.test(error.message));
  });

  for (const jwksUri of ['http://keys.example.com/jwks', 'ftp://keys.example.com/jwks', '/relative/jwks', 'https://user@keys.example.com/jwks', 'https://keys.example.com/jwks#frag']) {
    it(`refuses the jwks_uri ${jwksUri}`, async () => {
      documents.set(RFC8414_PATH, { issuer, jwks_uri: jwksUri });
      documents.set(OIDC_PATH, { issuer, jwks_uri: jwksUri });
      await assert.rejects(discoverJWKSUri(issuer, LIMITS), (error: Error) => error instanceof FetchJSONError && /jwks_uri/.test(error.message));
    });
  }

  it('falls back to OIDC when the RFC 8414 jwks_uri is plain http on a non-loopback host', async () => {
    documents.set(RFC8414_PATH, { issuer, jwks_uri: 'http://keys.example.com/jwks' });
    documents.set(OIDC_PATH, { issuer, jwks_uri: 'https://keys.example.com/jwks' });
    assert.equal(await discoverJWKSUri(issuer, LIMITS), 'https://keys.example.com/jwks');
  });

  it('accepts an https jwks_uri with a query', async () => {
    documents.set(RFC8414_PATH, { issuer, jwks_uri: 'https://keys.example.com/jwks?tenant=mcp' });
    assert.equal(await discoverJWKSUri(issuer, LIMITS), 'https://keys.example.com/jwks?tenant=mcp');
  });

  it('fails with one error that lists every URL tried and why', async () => {
    documents.set(OIDC_PATH, { issuer, keys_here: 'no jwks_uri' });
    const [first, second] = discoveryURLs(issuer);
    await assert.rejects(discoverJWKSUri(issuer, LIMITS), (error: Error) => {
      assert.ok(error instanceof FetchJSONError);
      assert.ok(error.message.includes(`${first!}: bad answer (HTTP 404)`), error.message);
      assert.ok(error.message.includes(`${second!}: no usable jwks_uri`), error.message);
      return true;
    });
  });
});
