// Upstream token requests (openid-client) through the connection guard, and
// without it (file mode): redirects never followed, refusals and failures
// told without addresses, the guarded path still gets tokens.
import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { guardedFetch } from '../../../src/net/endpoint-guard.ts';
import { isForbiddenAddress } from '../../../src/net/forbidden-address.ts';
import type { RuntimeUpstream } from '../../../src/core/runtime-policy.ts';
import { TokenEndpointClient, TokenEndpointError } from '../../../src/upstream/token-endpoint-client.ts';
import { startConnectionCounter, startTLSServer, TEST_CA, type ConnectionCounter, type TLSServer } from '../../support/local-endpoints.ts';

const ISSUED = { access_token: 'upstream-access-token-for-tests', token_type: 'Bearer', expires_in: 300 };

function upstreamAt(tokenEndpoint: string): RuntimeUpstream {
  return { grant: 'client_credentials', tokenEndpoint, issuer: undefined, audience: undefined, resource: 'https://api.example.com', scopes: [], clientId: 'weather', clientSecret: { kind: 'file', path: '/unused', namespace: 'mcp' }, header: 'authorization' };
}

async function failure(client: TokenEndpointClient, tokenEndpoint: string): Promise<string> {
  try {
    await client.request(upstreamAt(tokenEndpoint), 'client-secret', undefined);
  } catch (error) {
    assert.ok(error instanceof TokenEndpointError, String(error));
    return error.message;
  }
  assert.fail('a token was issued');
}

describe('token endpoint requests and the connection guard', function () {
  let counter: ConnectionCounter;
  let server: TLSServer;
  let elsewhere: TLSServer;
  let answer: { status: number; headers: Record<string, string>; body: string };
  /** 127.0.0.1 stands in for a remote host; everything else is refused as in production. */
  const guarded = new TokenEndpointClient({ timeoutMs: 2_000, fetch: guardedFetch({ ca: TEST_CA, refuses: (address) => address !== '127.0.0.1' && isForbiddenAddress(address) }) });
  const production = new TokenEndpointClient({ timeoutMs: 2_000, fetch: guardedFetch({ ca: TEST_CA }) });

  beforeEach(async function () {
    answer = { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(ISSUED) };
    counter = await startConnectionCounter();
    server = await startTLSServer((_request, response) => { response.writeHead(answer.status, answer.headers).end(answer.body); });
    elsewhere = await startTLSServer((_request, response) => { response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(ISSUED)); });
  });
  afterEach(async function () {
    await counter.close();
    await server.close();
    await elsewhere.close();
  });

  it('gets a token from an allowed https token endpoint through the guard', async function () {
    const issued = await guarded.request(upstreamAt(`${server.origin}/token`), 'client-secret', undefined);
    assert.equal(issued.accessToken, ISSUED.access_token);
    assert.deepEqual(server.requests, ['POST /token']);
  });

  for (const status of [302, 307, 308]) {
    it(`attack: a token endpoint redirect (${String(status)}) must not be followed (the client secret would go along)`, async function () {
      answer = { status, headers: { location: `${elsewhere.origin}/token` }, body: '' };
      assert.equal(await failure(guarded, `${server.origin}/token`), `bad answer (HTTP ${String(status)})`);
      assert.deepEqual(elsewhere.requests, []);
    });
  }

  it('attack: a token endpoint named localhost must be refused after resolution, and never contacted', async function () {
    assert.equal(await failure(production, `https://localhost:${String(counter.port)}/token`), 'refused: address not allowed');
    assert.equal(counter.connections(), 0);
  });

  it('attack: a token endpoint at the sidecar admin port must be refused (plain http, loopback)', async function () {
    assert.equal(await failure(production, `http://127.0.0.1:${String(counter.port)}/quitquitquit`), 'refused: https required');
    assert.equal(counter.connections(), 0);
  });

  describe('without the guard (file mode)', function () {
    let plain: Server;
    let origin: string;
    const unguarded = new TokenEndpointClient({ timeoutMs: 2_000 });

    beforeEach(async function () {
      plain = createServer((_request, response) => { response.writeHead(302, { location: `${elsewhere.origin}/token` }).end(); });
      await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
      origin = `http://127.0.0.1:${String((plain.address() as AddressInfo).port)}`;
    });
    afterEach(async function () {
      await new Promise<void>((resolve) => { plain.close(() => { resolve(); }); plain.closeAllConnections(); });
    });

    it('attack: a redirect from a loopback http token endpoint must not be followed either', async function () {
      assert.equal(await failure(unguarded, `${origin}/token`), 'bad answer (HTTP 302)');
      assert.deepEqual(elsewhere.requests, []);
    });

    it('attack: an unreachable token endpoint must be told without the address its name resolved to', async function () {
      const port = counter.port;
      await counter.close();
      counter = await startConnectionCounter();
      assert.equal(await failure(unguarded, `http://localhost:${String(port)}/token`), 'unreachable');
    });
  });
});
