// The token endpoint of an upstream `issuer` is found by the service's one
// discovery (src/keys/discovery.ts, ADR 0009): RFC 8414 metadata first, then
// OpenID Connect; the document must name the configured issuer exactly; the
// fetch is bounded in time and size, follows no redirect, and in Kubernetes
// mode goes through the connection guard. The client secret is sent only to
// an endpoint found that way.
import { strict as assert } from 'node:assert';
import { guardedFetch } from '../../../src/net/endpoint-guard.ts';
import { isForbiddenAddress } from '../../../src/net/forbidden-address.ts';
import type { RuntimeUpstream } from '../../../src/core/runtime-policy.ts';
import { TokenEndpointClient, TokenEndpointError } from '../../../src/upstream/token-endpoint-client.ts';
import { startConnectionCounter, startTLSServer, TEST_CA, type ConnectionCounter, type TLSServer } from '../../support/local-endpoints.ts';
import { json, startLocalServer } from '../keys/local-http.ts';

const ISSUED = { access_token: 'upstream-access-token-for-tests', token_type: 'Bearer', expires_in: 300 };
const RFC8414_PATH = '/.well-known/oauth-authorization-server/realms/mcp';
const OIDC_PATH = '/realms/mcp/.well-known/openid-configuration';

function upstreamOf(issuer: string): RuntimeUpstream {
  return { grant: 'client_credentials', tokenEndpoint: undefined, issuer, audience: undefined, resource: 'https://api.example.com', scopes: [], clientId: 'weather', clientSecret: { kind: 'file', path: '/unused', namespace: 'mcp' }, header: 'authorization' };
}

async function failure(client: TokenEndpointClient, issuer: string): Promise<string> {
  try {
    await client.request(upstreamOf(issuer), 'client-secret', undefined);
  } catch (error) {
    assert.ok(error instanceof TokenEndpointError, String(error));
    return error.message;
  }
  assert.fail('a token was issued');
}

describe('token endpoint discovery (upstream issuer)', function () {
  let server: TLSServer;
  let elsewhere: TLSServer;
  let counter: ConnectionCounter;
  /** path → the answer served there; anything else is a 404. */
  let answers: Map<string, { status: number; headers?: Record<string, string>; body: unknown }>;
  let issuer: string;
  /** Kubernetes mode: 127.0.0.1 stands in for a remote host; everything else is refused as in production. */
  const guarded = (maxDiscoveryBytes?: number): TokenEndpointClient => new TokenEndpointClient({
    timeoutMs: 2_000,
    fetch: guardedFetch({ ca: TEST_CA, refuses: (address) => address !== '127.0.0.1' && isForbiddenAddress(address) }),
    ...(maxDiscoveryBytes === undefined ? {} : { maxDiscoveryBytes }),
  });

  beforeEach(async function () {
    answers = new Map();
    server = await startTLSServer((request, response) => {
      const answer = answers.get(request.url ?? '');
      if (answer === undefined) json(response, 404, { error: 'not_found' });
      else response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers }).end(JSON.stringify(answer.body));
    });
    elsewhere = await startTLSServer((_request, response) => { json(response, 200, ISSUED); });
    counter = await startConnectionCounter();
    issuer = `${server.origin}/realms/mcp`;
    answers.set('/token', { status: 200, body: ISSUED });
  });
  afterEach(async function () {
    await server.close();
    await elsewhere.close();
    await counter.close();
  });

  it('finds the token endpoint in RFC 8414 metadata first and gets the token there', async function () {
    answers.set(RFC8414_PATH, { status: 200, body: { issuer, token_endpoint: `${server.origin}/token` } });
    answers.set(OIDC_PATH, { status: 200, body: { issuer, token_endpoint: `${elsewhere.origin}/token` } });
    const issued = await guarded().request(upstreamOf(issuer), 'client-secret', undefined);
    assert.equal(issued.accessToken, ISSUED.access_token);
    assert.deepEqual(server.requests, [`GET ${RFC8414_PATH}`, 'POST /token']);
    assert.deepEqual(elsewhere.requests, []);
  });

  it('falls back to OpenID Connect discovery, and discovers once per issuer', async function () {
    answers.set(OIDC_PATH, { status: 200, body: { issuer, token_endpoint: `${server.origin}/token` } });
    const client = guarded();
    await client.request(upstreamOf(issuer), 'client-secret', undefined);
    await client.request(upstreamOf(issuer), 'client-secret', undefined);
    assert.deepEqual(server.requests, [`GET ${RFC8414_PATH}`, `GET ${OIDC_PATH}`, 'POST /token', 'POST /token']);
  });

  it('attack: metadata that names another issuer must not decide where the client secret goes', async function () {
    answers.set(RFC8414_PATH, { status: 200, body: { issuer: `${issuer}/`, token_endpoint: `${elsewhere.origin}/token` } });
    answers.set(OIDC_PATH, { status: 200, body: { issuer: `${elsewhere.origin}/realms/mcp`, token_endpoint: `${elsewhere.origin}/token` } });
    assert.match(await failure(guarded(), issuer), /issuer in the document does not match.*issuer in the document does not match/);
    assert.deepEqual(elsewhere.requests, []);
  });

  it('attack: a plain-http token endpoint on a remote host in the metadata must not be used', async function () {
    answers.set(RFC8414_PATH, { status: 200, body: { issuer, token_endpoint: 'http://tokens.example.com/token' } });
    assert.match(await failure(guarded(), issuer), /no usable token_endpoint/);
  });

  it('attack: a discovery redirect must not be followed', async function () {
    answers.set(RFC8414_PATH, { status: 302, headers: { location: `${elsewhere.origin}/metadata` }, body: '' });
    answers.set(OIDC_PATH, { status: 307, headers: { location: `${elsewhere.origin}/metadata` }, body: '' });
    const message = await failure(guarded(), issuer);
    assert.match(message, /bad answer \(HTTP 302\).*bad answer \(HTTP 307\)/);
    assert.deepEqual(elsewhere.requests, []);
  });

  it('attack: a discovery document over the size limit must be refused', async function () {
    answers.set(RFC8414_PATH, { status: 200, body: { issuer, token_endpoint: `${server.origin}/token`, padding: 'x'.repeat(4096) } });
    answers.set(OIDC_PATH, { status: 200, body: { issuer, token_endpoint: `${server.origin}/token`, padding: 'x'.repeat(4096) } });
    assert.match(await failure(guarded(1024), issuer), /larger than 1024 bytes.*larger than 1024 bytes/);
    assert.equal(server.requests.includes('POST /token'), false);
  });

  it('attack: an issuer named localhost must be refused by the guard before discovery connects', async function () {
    const production = new TokenEndpointClient({ timeoutMs: 2_000, fetch: guardedFetch({ ca: TEST_CA }) });
    const message = await failure(production, `https://localhost:${String(counter.port)}/realms/mcp`);
    assert.match(message, /refused: address not allowed.*refused: address not allowed/);
    assert.equal(counter.connections(), 0);
  });

  it('tells a failure by URL and reason only: never a document body', async function () {
    answers.set(RFC8414_PATH, { status: 500, body: { error: 'secret-looking-body-text' } });
    answers.set(OIDC_PATH, { status: 200, body: { issuer, note: 'secret-looking-body-text' } });
    const message = await failure(guarded(), issuer);
    assert.equal(message, `discovery failed: ${server.origin}${RFC8414_PATH}: bad answer (HTTP 500); ${server.origin}${OIDC_PATH}: no usable token_endpoint`);
  });

  it('works without the guard (file mode) for a loopback http issuer', async function () {
    const plain = await startLocalServer((request, response) => {
      if (request.url === OIDC_PATH) json(response, 200, { issuer: plainIssuer, token_endpoint: `${plainOrigin}/token` });
      else if (request.url === '/token') json(response, 200, ISSUED);
      else json(response, 404, { error: 'not_found' });
    });
    const plainOrigin = plain.origin;
    const plainIssuer = `${plainOrigin}/realms/mcp`;
    try {
      const issued = await new TokenEndpointClient({ timeoutMs: 2_000 }).request(upstreamOf(plainIssuer), 'client-secret', undefined);
      assert.equal(issued.accessToken, ISSUED.access_token);
      assert.deepEqual(plain.requests, [RFC8414_PATH, OIDC_PATH, '/token']);
    } finally {
      await plain.close();
    }
  });
});
