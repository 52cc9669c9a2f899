// Finding an issuer's JWKS URI (key sets) and token endpoint (upstream
// credentials), by one implementation: RFC 8414 authorization server metadata
// first (well-known segment inserted before the issuer's path, §3.1), then
// OpenID Connect Discovery (appended). A document is used only when its
// `issuer` equals the configured issuer exactly (RFC 8414 §3.3) and the
// endpoint it names obeys the URI rules (https, http only on loopback).
import { strict as assert } from 'node:assert';
import { discoverEndpoint, discoveryURLs, type MetadataEndpoint } from '../../../src/keys/discovery.ts';
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

for (const endpoint of ['jwks_uri', 'token_endpoint'] as const satisfies readonly MetadataEndpoint[]) describe(`discoverEndpoint (${endpoint})`, () => {
  let server: LocalServer;
  /** path → document served with 200; anything else is a 404. */
  let documents: Map<string, unknown>;
  let issuer: string;
  const discover = (limits: FetchLimits = LIMITS): Promise<string> => discoverEndpoint(issuer, endpoint, limits);
  /** A metadata document of the configured issuer naming `value` as the endpoint. */
  const naming = (value: unknown): Record<string, unknown> => ({ issuer, [endpoint]: value });

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
    documents.set(RFC8414_PATH, naming(`${server.origin}/rfc8414`));
    documents.set(OIDC_PATH, naming(`${server.origin}/oidc`));
    assert.equal(await discover(), `${server.origin}/rfc8414`);
    assert.deepEqual(server.requests, [RFC8414_PATH]);
  });

  it('falls back to OpenID Connect discovery when RFC 8414 metadata is missing', async () => {
    documents.set(OIDC_PATH, naming(`${server.origin}/oidc`));
    assert.equal(await discover(), `${server.origin}/oidc`);
    assert.deepEqual(server.requests, [RFC8414_PATH, OIDC_PATH]);
  });

  for (const [label, other] of [
    ['a trailing slash', (value: string) => `${value}/`],
    ['another path', (value: string) => `${value}-other`],
    ['letter case', (value: string) => value.replace('realms', 'Realms')],
    ['a missing issuer', () => undefined],
  ] as const) {
    it(`attack: a document whose issuer differs by ${label} must not be used`, async () => {
      documents.set(RFC8414_PATH, { ...naming(`${server.origin}/wrong`), issuer: other(issuer) });
      documents.set(OIDC_PATH, naming(`${server.origin}/oidc`));
      assert.equal(await discover(), `${server.origin}/oidc`);
    });
  }

  it('fails when every document names another issuer', async () => {
    documents.set(RFC8414_PATH, { ...naming(`${server.origin}/endpoint`), issuer: `${issuer}/` });
    documents.set(OIDC_PATH, { ...naming(`${server.origin}/endpoint`), issuer: `${issuer}/` });
    await assert.rejects(discover(), (error: Error) => error instanceof FetchJSONError && /issuer/.test(error.message));
  });

  for (const value of ['http://keys.example.com/endpoint', 'ftp://keys.example.com/endpoint', '/relative/endpoint', 'https://user@keys.example.com/endpoint', 'https://keys.example.com/endpoint#frag', 42]) {
    it(`refuses the ${endpoint} ${String(value)}`, async () => {
      documents.set(RFC8414_PATH, naming(value));
      documents.set(OIDC_PATH, naming(value));
      await assert.rejects(discover(), (error: Error) => error instanceof FetchJSONError && error.message.includes(`no usable ${endpoint}`));
    });
  }

  it(`falls back to OIDC when the RFC 8414 ${endpoint} is plain http on a non-loopback host`, async () => {
    documents.set(RFC8414_PATH, naming('http://keys.example.com/endpoint'));
    documents.set(OIDC_PATH, naming('https://keys.example.com/endpoint'));
    assert.equal(await discover(), 'https://keys.example.com/endpoint');
  });

  it(`accepts an https ${endpoint} with a query`, async () => {
    documents.set(RFC8414_PATH, naming('https://keys.example.com/endpoint?tenant=mcp'));
    assert.equal(await discover(), 'https://keys.example.com/endpoint?tenant=mcp');
  });

  it('does not take the other endpoint for this one', async () => {
    const other = endpoint === 'jwks_uri' ? 'token_endpoint' : 'jwks_uri';
    documents.set(RFC8414_PATH, { issuer, [other]: `${server.origin}/other` });
    await assert.rejects(discover(), (error: Error) => error instanceof FetchJSONError && error.message.includes(`no usable ${endpoint}`));
  });

  it('attack: a metadata document larger than the size limit must be refused, not read to the end', async () => {
    documents.set(RFC8414_PATH, { ...naming(`${server.origin}/big`), padding: 'x'.repeat(2048) });
    await assert.rejects(discover({ timeoutMs: 2_000, maxBytes: 1024 }), (error: Error) => error instanceof FetchJSONError && error.message.includes('larger than 1024 bytes'));
  });

  it('fails with one error that lists every URL tried and why', async () => {
    documents.set(OIDC_PATH, { issuer, keys_here: 'no endpoint' });
    const [first, second] = discoveryURLs(issuer);
    await assert.rejects(discover(), (error: Error) => {
      assert.ok(error instanceof FetchJSONError);
      assert.ok(error.message.includes(`${first!}: bad answer (HTTP 404)`), error.message);
      assert.ok(error.message.includes(`${second!}: no usable ${endpoint}`), error.message);
      return true;
    });
  });
});
