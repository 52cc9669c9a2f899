/**
 * Limits and issuer faults through the real service (issue: hardening):
 * every limit holds and is counted, and every fault of an issuer's key
 * endpoints ends in a deny with a body — never an allow, never an RPC error.
 */
import { strict as assert } from 'node:assert';
import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpStatus } from '../support/envoy-check-client.ts';
import { eventually, MCP_RESOURCE, policyYAML, startHarness, type Harness } from '../support/service-harness.ts';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** A JWKS endpoint whose behaviour each test sets. */
async function faultyEndpoint(): Promise<{ server: Server; url: string; set(handler: Handler): void }> {
  let current: Handler = (_request, response) => { response.writeHead(503).end(); };
  const server = createServer((request, response) => { current(request, response); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/jwks`, set: (handler) => { current = handler; } };
}

const limitHits = async (harness: Harness, limit: string): Promise<number> => {
  const text = await harness.service.metrics.registry.getSingleMetricAsString('audience_guard_limit_hits_total');
  return Number(new RegExp(`limit="${limit}"\\} (\\d+)`).exec(text)?.[1] ?? 'NaN');
};

describe('limits and issuer faults (end to end)', function () {
  let harness: Harness;
  let endpoint: Awaited<ReturnType<typeof faultyEndpoint>>;
  let realJWKS: string;

  before(async function () {
    endpoint = await faultyEndpoint();
    harness = await startHarness({
      policies: (issuer) => [
        policyYAML(issuer),
        policyYAML(issuer, { name: 'faulty', resource: 'https://faulty.example.com/mcp', issuerExtra: `\n      jwksUri: ${endpoint.url}` }),
      ].join('---\n'),
      service: { maxJWKSBytes: 4096, maxJWKSKeys: 3, maxPolicies: 3, tokenCacheSize: 2, keySetOptions: { retryMinMs: 10, retryMaxMs: 20, unknownKeyCooldownMs: 0 } },
    });
    realJWKS = await (await fetch(harness.auth.jwksUri)).text();
  });
  after(async function () {
    await harness.close();
    endpoint.server.closeAllConnections();
    await new Promise((resolve) => endpoint.server.close(resolve));
  });

  const checkFaulty = async (): Promise<ReturnType<Harness['client']['check']>> => {
    const token = await harness.customToken({ iss: harness.auth.issuer, sub: 's', client_id: 'c', aud: 'https://faulty.example.com/mcp', iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 300, jti: 'j' });
    return harness.client.check({ authority: 'faulty.example.com', headers: { authorization: `Bearer ${token}` } });
  };

  /** Every answer while the fault lasts is a deny with a body; once the service has fetched the faulty answer, it is `reason`. */
  async function assertDeniedWhile(handler: Handler, reason: string): Promise<void> {
    endpoint.set(handler);
    await eventually(async () => {
      const response = await checkFaulty();
      assert.notEqual(response.status?.code ?? 0, 0, 'never an allow');
      assert.ok((response.denied_response?.body ?? '').startsWith('{"error":'));
      return response.dynamic_metadata?.fields?.reason?.stringValue === reason;
    });
  }

  it('refuses a key set larger than --max-jwks-bytes and counts it', async function () {
    const before = await limitHits(harness, 'jwks_size');
    await assertDeniedWhile((_request, response) => { response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [], padding: 'x'.repeat(10_000) })); }, 'keys_unavailable');
    await eventually(async () => (await limitHits(harness, 'jwks_size')) > before);
  });

  it('refuses a key set with more keys than --max-jwks-keys and counts it', async function () {
    const { keys } = JSON.parse(realJWKS) as { keys: unknown[] };
    const before = await limitHits(harness, 'jwks_keys');
    await assertDeniedWhile((_request, response) => { response.writeHead(200).end(JSON.stringify({ keys: [keys[0], keys[0], keys[0], keys[0]] })); }, 'keys_unavailable');
    await eventually(async () => (await limitHits(harness, 'jwks_keys')) > before);
  });

  it('denies on malformed JSON, a redirect, and a huge body without content-length', async function () {
    await assertDeniedWhile((_request, response) => { response.writeHead(200).end('{"keys": [ '); }, 'keys_unavailable');
    await assertDeniedWhile((_request, response) => { response.writeHead(302, { location: harness.auth.jwksUri }).end(); }, 'keys_unavailable');
    await assertDeniedWhile((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"keys":[');
      response.end(`${'{"kty":"RSA"},'.repeat(1000)}{}]}`);
    }, 'keys_unavailable');
  });

  it('answers unknown_key when the key set lacks the signing key', async function () {
    await assertDeniedWhile((_request, response) => { response.writeHead(200).end(JSON.stringify({ keys: [] })); }, 'unknown_key');
  });

  it('recovers once the key set is right again', async function () {
    endpoint.set((_request, response) => { response.writeHead(200, { 'content-type': 'application/json' }).end(realJWKS); });
    await eventually(async () => ((await checkFaulty()).status?.code ?? 0) === 0);
  });

  it('answers 503 upstream_token_unavailable when the token endpoint fails mid-answer, never passing through', async function () {
    const tokenEndpoint = await faultyEndpoint();
    tokenEndpoint.set((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"access_token":"abc');
      response.socket?.destroy(); // the connection drops half-way through the answer
    });
    const secretFile = `${harness.policyFile}.secret`;
    await writeFile(secretFile, 'secret');
    try {
      await harness.writePolicies(policyYAML(harness.auth.issuer, { extra: `  upstream:\n    clientCredentials:\n      tokenEndpoint: ${tokenEndpoint.url}\n      clientId: svc\n      clientSecretFile: ${secretFile}\n` }));
      await eventually(() => harness.service.store.current().byId('mcp/mcp')?.upstream !== undefined);
      const token = await harness.token({ resource: MCP_RESOURCE });
      const response = await harness.client.check({ headers: { authorization: `Bearer ${token}` } });
      assert.equal(httpStatus(response), 503);
      assert.equal(response.dynamic_metadata?.fields?.reason?.stringValue, 'upstream_token_unavailable');
      assert.equal(response.ok_response, undefined);
    } finally {
      tokenEndpoint.server.closeAllConnections();
      await new Promise((resolve) => tokenEndpoint.server.close(resolve));
    }
  });

  it('keeps at most --max-policies in force, the oldest ones, and counts the rest', async function () {
    const before = await limitHits(harness, 'policies');
    const many = Array.from({ length: 5 }, (_, index) => policyYAML(harness.auth.issuer, { name: `p${String(index)}`, resource: `https://p${String(index)}.example.com/mcp` }));
    await harness.writePolicies(many.join('---\n'));
    await eventually(() => harness.service.store.current().byId('mcp/p0') !== undefined);
    assert.deepEqual(harness.service.store.current().policies.map((policy) => policy.id), ['mcp/p0', 'mcp/p1', 'mcp/p2']);
    assert.equal(await limitHits(harness, 'policies'), before + 1);
    assert.ok(harness.logs.some((line) => line.event === 'limit_reached' && line.limit === 'policies' && line.left_out === 2));
    assert.equal(httpStatus(await harness.client.check({ authority: 'p4.example.com' })), 403);
  });

  it('keeps the verified-token cache within --token-cache-size under many distinct tokens, counting evictions', async function () {
    await harness.writePolicies(policyYAML(harness.auth.issuer));
    await eventually(() => harness.service.store.current().byId('mcp/mcp') !== undefined);
    const before = await limitHits(harness, 'token_cache');
    for (let index = 0; index < 6; index += 1) {
      const token = await harness.token({ resource: MCP_RESOURCE });
      assert.equal((await harness.client.check({ headers: { authorization: `Bearer ${token}` } })).status?.code ?? 0, 0);
    }
    const entries = await harness.service.metrics.registry.getSingleMetricAsString('audience_guard_token_cache_entries');
    assert.ok(Number(/audience_guard_token_cache_entries (\d+)/.exec(entries)?.[1]) <= 2, entries);
    assert.ok((await limitHits(harness, 'token_cache')) >= before + 4);
  });
});
