/**
 * Upstream credentials end to end (docs/contract.md §2.7, §2.8; MCP: never pass the
 * client's token upstream): the real service over gRPC with Envoy's protos, a real
 * oidc-provider that exchanges the client token (RFC 8693) or issues a
 * client-credentials token (RFC 8707 resource), and the CheckResponse that sets the
 * upstream token by overwrite.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { headerValue, httpStatus, type EnvoyCheckResponse } from '../support/envoy-check-client.ts';
import { recordToken } from '../support/secret-ledger.ts';
import { forwardAuth, forwardedFamily } from '../support/forward-auth-client.ts';
import { LOOPBACK_HTTP_AUTHZ, MCP_RESOURCE, policyYAML, startHarness, type Harness } from '../support/service-harness.ts';

const UPSTREAM = 'https://api.weather.example.com';
const SERVICE = { clientId: 'weather-mcp', clientSecret: 'weather-mcp-secret' };

describe('upstream credentials (end to end)', function () {
  let harness: Harness;
  let dir: string;

  before(async function () {
    dir = await mkdtemp(join(tmpdir(), 'audience-guard-upstream-e2e-'));
    const secretFile = join(dir, 'client-secret');
    await writeFile(secretFile, SERVICE.clientSecret);
    harness = await startHarness({
      resources: [{ resource: MCP_RESOURCE, scopes: ['mcp:tools'] }, { resource: 'https://tools.example.com/mcp', scopes: ['mcp:tools'] }, { resource: UPSTREAM, scopes: ['forecast:read'] }],
      clients: [SERVICE],
      policies: (issuer) => [
        policyYAML(issuer, { extra: `  upstream:\n    tokenExchange:\n      issuer: ${issuer}\n      resource: ${UPSTREAM}\n      scopes: [forecast:read]\n      clientId: ${SERVICE.clientId}\n      clientSecretFile: ${secretFile}\n` }),
        policyYAML(issuer, { name: 'tools', resource: 'https://tools.example.com/mcp', extra: `  upstream:\n    clientCredentials:\n      tokenEndpoint: ${issuer}/token\n      resource: ${UPSTREAM}\n      clientId: ${SERVICE.clientId}\n      clientSecretFile: ${secretFile}\n    header: x-upstream-authorization\n` }),
        policyYAML(issuer, { name: 'permissive', resource: 'https://permissive.example.com/mcp', extra: `  mode: Permissive\n  upstream:\n    tokenExchange:\n      issuer: ${issuer}\n      resource: ${UPSTREAM}\n      clientId: ${SERVICE.clientId}\n      clientSecretFile: ${secretFile}\n` }),
      ].join('---\n'),
      service: { httpAuthz: LOOPBACK_HTTP_AUTHZ },
    });
  });
  after(async function () {
    await harness.close();
    await rm(dir, { recursive: true, force: true });
  });

  describe('over the HTTP front end', function () {
    const ask = (host: string, client: string) => forwardAuth(harness.service.httpAuthzPort ?? 0, {
      headers: [...forwardedFamily('POST', host, '/mcp'), ['Authorization', `Bearer ${client}`]],
    });

    it('answers the upstream token in authorization for the proxy to copy, and names only dpop for removal', async function () {
      const client = await harness.token({ resource: MCP_RESOURCE });
      const response = await ask('mcp.example.com', client);
      assert.equal(response.status, 200);
      const upstream = recordToken((response.headers.authorization ?? '').replace(/^Bearer /, ''));
      assert.equal(decodeJwt(upstream).aud, UPSTREAM);
      assert.equal(response.headers['x-envoy-auth-headers-to-remove'], 'dpop', 'removing authorization too would delete the new value');
      assert.equal(JSON.stringify(response).includes(client), false, 'the client token appears nowhere in the answer');
    });

    it('answers an upstream token for another header, and still names authorization for removal', async function () {
      const client = await harness.token({ resource: 'https://tools.example.com/mcp' });
      const response = await ask('tools.example.com', client);
      assert.equal(response.status, 200);
      assert.match(response.headers['x-upstream-authorization'] ?? '', /^Bearer /);
      recordToken((response.headers['x-upstream-authorization'] ?? '').slice('Bearer '.length));
      assert.equal(response.headers.authorization, undefined);
      assert.equal(response.headers['x-envoy-auth-headers-to-remove'], 'authorization, dpop');
    });
  });

  function upstreamTokenOf(response: EnvoyCheckResponse, header: string): string {
    const value = headerValue(response.ok_response?.headers, header) ?? '';
    assert.match(value, /^Bearer /);
    return recordToken(value.slice('Bearer '.length));
  }

  it('exchanges the client token and sets the upstream token on authorization by overwrite, never passing the client token', async function () {
    const client = await harness.token({ resource: MCP_RESOURCE });
    const response = await harness.client.check({ headers: { authorization: `Bearer ${client}` } });
    assert.equal(response.status?.code ?? 0, 0);
    const upstream = upstreamTokenOf(response, 'authorization');
    assert.notEqual(upstream, client);
    assert.equal(decodeJwt(upstream).aud, UPSTREAM);
    assert.equal(decodeJwt(upstream).sub, decodeJwt(client).sub);
    assert.deepEqual(response.ok_response?.headers_to_remove ?? [], ['dpop'], 'removing authorization too would delete the new value; the DPoP proof goes');
    assert.equal(JSON.stringify(response).includes(client), false, 'the client token appears nowhere in the CheckResponse');
  });

  it('makes one exchange for many checks with the same client token', async function () {
    const client = await harness.token({ resource: MCP_RESOURCE });
    const before = harness.auth.tokenExchangeCount();
    for (let index = 0; index < 5; index += 1) {
      const response = await harness.client.check({ headers: { authorization: `Bearer ${client}` } });
      upstreamTokenOf(response, 'authorization');
    }
    assert.equal(harness.auth.tokenExchangeCount() - before, 1);
  });

  it('gives a client-credentials token on its own header and removes the client authorization', async function () {
    const client = await harness.token({ resource: 'https://tools.example.com/mcp' });
    const response = await harness.client.check({ authority: 'tools.example.com', headers: { authorization: `Bearer ${client}` } });
    assert.equal(response.status?.code ?? 0, 0);
    const upstream = upstreamTokenOf(response, 'x-upstream-authorization');
    assert.equal(decodeJwt(upstream).aud, UPSTREAM);
    assert.equal(decodeJwt(upstream).client_id, SERVICE.clientId);
    assert.deepEqual(response.ok_response?.headers_to_remove, ['authorization', 'dpop']);
  });

  it('attack: Permissive mode with token exchange must deny a token issued for another resource (audience_mismatch, enforced) and never exchange it', async function () {
    const foreign = await harness.token({ resource: 'https://tools.example.com/mcp' });
    const before = harness.auth.tokenExchangeCount();
    const response = await harness.client.check({ authority: 'permissive.example.com', headers: { authorization: `Bearer ${foreign}` } });
    assert.equal(httpStatus(response), 401);
    assert.equal(response.dynamic_metadata?.fields?.reason?.stringValue, 'audience_mismatch');
    assert.equal(response.ok_response, undefined);
    assert.equal(harness.auth.tokenExchangeCount(), before, 'the foreign token was never sent to the token endpoint');
    const metric = await harness.service.metrics.registry.getSingleMetricAsString('audience_guard_rejections_total');
    assert.match(metric, /policy="permissive",reason="audience_mismatch",enforced="true"[^}]*\} 1/);
  });

  it('answers 503 upstream_token_unavailable while the token endpoint is down, never passing through, and recovers', async function () {
    const client = await harness.token({ resource: MCP_RESOURCE });
    harness.auth.setTokenEndpointAvailable(false);
    let response: EnvoyCheckResponse;
    try {
      response = await harness.client.check({ headers: { authorization: `Bearer ${client}` } });
    } finally {
      harness.auth.setTokenEndpointAvailable(true);
    }
    assert.equal(httpStatus(response), 503);
    assert.equal(response.dynamic_metadata?.fields?.reason?.stringValue, 'upstream_token_unavailable');
    assert.equal(response.ok_response, undefined);
    assert.equal(JSON.stringify(response).includes(client), false);
    const recovered = await harness.client.check({ headers: { authorization: `Bearer ${client}` } });
    assert.equal(recovered.status?.code ?? 0, 0);
    const metric = await harness.service.metrics.registry.getSingleMetricAsString('audience_guard_upstream_token_requests_total');
    assert.match(metric, /grant="token_exchange",result="failure"\} [1-9]/);
    assert.match(metric, /grant="token_exchange",result="success"\} [1-9]/);
  });

  it('answers a slow token endpoint within the check timeout as upstream_token_unavailable', async function () {
    const client = await harness.token({ resource: MCP_RESOURCE });
    harness.auth.setTokenEndpointDelay(4_000);
    try {
      const response = await harness.client.check({ headers: { authorization: `Bearer ${client}` } });
      assert.equal(httpStatus(response), 503);
      assert.equal(response.dynamic_metadata?.fields?.reason?.stringValue, 'upstream_token_unavailable');
    } finally {
      harness.auth.setTokenEndpointDelay(0);
    }
  });
});
