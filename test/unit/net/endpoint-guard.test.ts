// The connection guard of Kubernetes mode: https only, never a loopback,
// link-local or unspecified address — checked on the address actually
// connected to (IP literals and every address a name resolves to), on every
// connection; redirects never followed; failures told without addresses.
// Every refusal is checked against a listener that counts connections, and
// the same URL through the unguarded fetch proves the listener can be reached.
import { strict as assert } from 'node:assert';
import { IssuerKeySet } from '../../../src/keys/issuer-key-set.ts';
import { DEFAULT_KEY_SET_OPTIONS } from '../../../src/keys/issuer-key-store.ts';
import { fetchJSONObject, FetchJSONError } from '../../../src/keys/fetch-json.ts';
import { EndpointRefusedError, type EndpointFetch } from '../../../src/net/endpoint-failure.ts';
import { guardedFetch } from '../../../src/net/endpoint-guard.ts';
import { isForbiddenAddress } from '../../../src/net/forbidden-address.ts';
import { startConnectionCounter, startTLSServer, TEST_CA, type ConnectionCounter, type TLSServer } from '../../support/local-endpoints.ts';

const LIMITS = { timeoutMs: 2_000, maxBytes: 64 * 1024 };

async function refusal(fetcher: EndpointFetch, url: string): Promise<string> {
  try {
    await fetchJSONObject(url, LIMITS, fetcher);
  } catch (error) {
    assert.ok(error instanceof FetchJSONError, String(error));
    return error.message;
  }
  assert.fail(`${url} was fetched`);
}

/** Any connection made by the unguarded fetch (it fails: the counter speaks no TLS). */
async function unguarded(url: string): Promise<void> {
  await fetch(url).then((response) => response.body?.cancel(), () => undefined);
}

describe('guardedFetch (endpoints named by tenants)', function () {
  let counter: ConnectionCounter;
  const guarded = guardedFetch({ ca: TEST_CA });
  /** Stands in for a remote host: 127.0.0.1 alone is let through, everything else as in production. */
  const standIn = (refuseLoopbackToo = (): boolean => false): EndpointFetch => guardedFetch({
    ca: TEST_CA,
    refuses: (address) => (address === '127.0.0.1' ? refuseLoopbackToo() : isForbiddenAddress(address)),
  });

  beforeEach(async function () {
    counter = await startConnectionCounter();
  });
  afterEach(async function () {
    await counter.close();
  });

  it('attack: loopback, unspecified and IPv4-mapped literals must be refused before any connection', async function () {
    const hosts = ['127.0.0.1', '127.0.0.2', '0.0.0.0', ...(counter.dualStack ? ['[::1]', '[::]', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '[0:0:0:0:0:ffff:7f00:1]'] : [])];
    for (const host of hosts) {
      const url = `https://${host}:${String(counter.port)}/jwks`;
      assert.equal(await refusal(guarded, url), 'refused: address not allowed', url);
      assert.equal(counter.connections(), 0, `${url} must not be contacted`);
      await unguarded(url);
      assert.equal(counter.connections(), 1, `${url} reaches the listener without the guard`);
      await counter.close();
      counter = await startConnectionCounter();
    }
  });

  it('attack: the cloud metadata address (169.254.169.254) must be refused at once, not tried', async function () {
    const started = Date.now();
    assert.equal(await refusal(guarded, 'https://169.254.169.254/latest/meta-data/iam/security-credentials/'), 'refused: address not allowed');
    assert.ok(Date.now() - started < 1_000, 'refused without a connection attempt');
  });

  it('attack: a name that resolves to loopback (localhost) must be refused after resolution', async function () {
    const url = `https://localhost:${String(counter.port)}/.well-known/openid-configuration`;
    const message = await refusal(guarded, url);
    assert.equal(message, 'refused: address not allowed');
    assert.equal(counter.connections(), 0);
    await unguarded(url);
    assert.equal(counter.connections(), 1, 'localhost reaches the listener without the guard');
  });

  it('attack: plain http must be refused even to an allowed address', async function () {
    assert.equal(await refusal(standIn(), `http://127.0.0.1:${String(counter.port)}/jwks`), 'refused: https required');
    assert.equal(counter.connections(), 0);
  });

  describe('with an allowed https endpoint', function () {
    let server: TLSServer;
    let elsewhere: TLSServer;
    let answer: { status: number; headers: Record<string, string>; body: string };

    beforeEach(async function () {
      answer = { status: 200, headers: { 'content-type': 'application/json' }, body: '{"keys":[]}' };
      server = await startTLSServer((_request, response) => { response.writeHead(answer.status, answer.headers).end(answer.body); });
      elsewhere = await startTLSServer((_request, response) => { response.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":[]}'); });
    });
    afterEach(async function () {
      await server.close();
      await elsewhere.close();
    });

    it('fetches it', async function () {
      assert.deepEqual(await fetchJSONObject(`${server.origin}/jwks`, LIMITS, standIn()), { keys: [] });
    });

    for (const status of [301, 302, 307, 308]) {
      it(`attack: a redirect (${String(status)}) from it must not be followed`, async function () {
        answer = { status, headers: { location: `${elsewhere.origin}/jwks` }, body: '' };
        const response = await standIn()(`${server.origin}/jwks`, { redirect: 'follow' });
        await response.body?.cancel();
        assert.equal(response.status, status, 'the redirect is the answer');
        assert.equal(await refusal(standIn(), `${server.origin}/jwks`), `bad answer (HTTP ${String(status)})`);
        assert.deepEqual(elsewhere.requests, [], 'the redirect target is never requested');
      });
    }

    it('attack: a name that turns to a forbidden address must be refused on the next connection', async function () {
      let rebound = false;
      const fetcher = standIn(() => rebound);
      answer = { ...answer, headers: { ...answer.headers, connection: 'close' } };
      assert.deepEqual(await fetchJSONObject(`${server.origin}/jwks`, LIMITS, fetcher), { keys: [] });
      rebound = true;
      assert.equal(await refusal(fetcher, `${server.origin}/jwks`), 'refused: address not allowed');
      assert.equal(server.requests.length, 1);
    });

    it('attack: a discovery document that points the key set at loopback must not get it fetched, nor the address echoed', async function () {
      const issuer = server.origin;
      answer = { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ issuer, jwks_uri: `https://[::1]:${String(counter.port)}/jwks` }) };
      const set = new IssuerKeySet(issuer, undefined, { ...DEFAULT_KEY_SET_OPTIONS, fetch: standIn() }, () => undefined);
      await set.refresh();
      set.close();
      assert.equal(set.lastError, 'refused: address not allowed');
      assert.equal(counter.connections(), 0);
    });
  });

  it('refuses with an error that says so, for callers that tell refusals apart', async function () {
    await assert.rejects(guarded('http://idp.example.com/', {}), EndpointRefusedError);
  });
});
