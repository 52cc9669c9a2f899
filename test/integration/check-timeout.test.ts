/**
 * `--check-timeout`: a check that cannot finish in time (here: the issuer's
 * JWKS endpoint hangs) is answered with a complete 503 deny within the
 * timeout — never an RPC error, never an allow — and the service recovers on
 * its own once the keys can be had.
 */
import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { headerValue, httpStatus } from '../support/envoy-check-client.ts';
import { eventually, MCP_RESOURCE, policyYAML, startHarness, type Harness } from '../support/service-harness.ts';

describe('check timeout', function () {
  let harness: Harness;
  let jwks: Server;
  let hang = true;

  before(async function () {
    let upstream = '';
    jwks = createServer((_request, response) => {
      if (hang) return; // never answers while hanging
      void fetch(upstream).then(async (answer) => response.writeHead(200, { 'content-type': 'application/json' }).end(await answer.text()));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const jwksUri = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks`;
    harness = await startHarness({
      policies: (issuer) => policyYAML(issuer, { issuerExtra: `\n      jwksUri: ${jwksUri}` }),
      service: { checkTimeoutMs: 150, keySetOptions: { fetchLimits: { timeoutMs: 400, maxBytes: 512 * 1024 }, retryMinMs: 50, retryMaxMs: 100 } },
    });
    upstream = harness.auth.jwksUri;
  });
  after(async function () {
    await harness.close();
    jwks.closeAllConnections();
    await new Promise((resolve) => jwks.close(resolve));
  });

  it('answers 503 timeout within the check timeout while the JWKS endpoint hangs', async function () {
    const token = await harness.token({ resource: MCP_RESOURCE });
    const started = Date.now();
    const response = await harness.client.check({ headers: { authorization: `Bearer ${token}` } });
    const elapsed = Date.now() - started;
    assert.notEqual(response.status?.code ?? 0, 0);
    assert.equal(httpStatus(response), 503);
    assert.equal(response.dynamic_metadata?.fields?.reason?.stringValue, 'timeout');
    assert.equal(headerValue(response.denied_response?.headers, 'retry-after'), '5');
    // Generous bound: the point is "answered by the server, not by a client deadline".
    assert.ok(elapsed < 2_000, `answered after ${elapsed} ms`);
  });

  it('recovers once the JWKS endpoint answers again', async function () {
    hang = false;
    const token = await harness.token({ resource: MCP_RESOURCE });
    await eventually(async () => ((await harness.client.check({ headers: { authorization: `Bearer ${token}` } })).status?.code ?? 0) === 0, 10_000);
  });
});
