/**
 * Per-tool scopes end to end (docs/contract.md §2.10, cases 34–36, and the
 * cases derived from its rules): a real oidc-provider issues the tokens, audience-guard
 * answers over real gRPC, and the client encodes with Envoy's own protos,
 * the body in `body` or `raw_body` as Envoy's with_request_body sends it.
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { headerValue, httpStatus, type EnvoyCheckResponse, type RequestShape } from '../support/envoy-check-client.ts';
import { MCP_RESOURCE, startHarness, type Harness } from '../support/service-harness.ts';

const PLAIN_RESOURCE = 'https://plain.example.com/mcp';
const METADATA = 'resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp"';
/** A policy accepts DPoP-bound tokens by default, so its challenges offer DPoP too (ADR 0011). */
const DPOP_OFFER = 'DPoP algs="RS256 PS256 ES256 ES384 EdDSA"';

const policies = (issuer: string): string => `apiVersion: audienceguard.dev/v1alpha1
kind: AudiencePolicy
metadata: {name: weather, namespace: mcp}
spec:
  resource: ${MCP_RESOURCE}
  issuers: [{issuer: ${issuer}}]
  requiredScopes: [mcp:tools]
  scopeImplications:
    weather:admin: [weather:tools]
  mcp:
    methodScopes:
      resources/read: [weather:read]
    toolScopes:
      delete_alert: [weather:admin]
      purge: [weather:admin, offline_access]
      "*": [weather:tools]
---
apiVersion: audienceguard.dev/v1alpha1
kind: AudiencePolicy
metadata: {name: plain, namespace: mcp}
spec:
  resource: ${PLAIN_RESOURCE}
  issuers: [{issuer: ${issuer}}]
  requiredScopes: [mcp:tools]
`;

const rpc = (method: string, params?: Record<string, unknown>): string => JSON.stringify({ jsonrpc: '2.0', id: 1, method, ...(params === undefined ? {} : { params }) });
const toolCall = (name: string): string => rpc('tools/call', { name, arguments: { text: 'x'.repeat(900) } });
const mirrored = (method: string, name?: string, version = '2026-07-28'): Record<string, string> =>
  ({ 'mcp-protocol-version': version, 'mcp-method': method, ...(name === undefined ? {} : { 'mcp-name': name }) });

function challengeOf(response: EnvoyCheckResponse): string {
  return headerValue(response.denied_response?.headers, 'www-authenticate') ?? '';
}

function reasonOf(response: EnvoyCheckResponse): string | undefined {
  return response.dynamic_metadata?.fields?.reason?.stringValue;
}

function assertAllowed(response: EnvoyCheckResponse): void {
  assert.equal(response.status?.code ?? 0, 0, `expected allow, got ${String(reasonOf(response))}`);
  assert.ok(response.ok_response);
}

function assertInsufficientScope(response: EnvoyCheckResponse, scopes: string): void {
  assert.equal(httpStatus(response), 403, String(reasonOf(response)));
  assert.equal(challengeOf(response), `Bearer error="insufficient_scope", scope="${scopes}", error_description="The access token lacks a required scope", ${METADATA}, ${DPOP_OFFER}`);
}

function assertUnreadable(response: EnvoyCheckResponse): void {
  assert.notEqual(response.status?.code ?? 0, 0);
  assert.equal(httpStatus(response), 400);
  assert.equal(reasonOf(response), 'unreadable_mcp_request');
  assert.match(challengeOf(response), /^Bearer error="invalid_request"/);
  assert.equal((JSON.parse(response.denied_response?.body ?? '') as { error: string }).error, 'invalid_request');
}

describe('per-tool scopes (spec.mcp) end to end', function () {
  let harness: Harness;
  const tokens: Record<string, string> = {};
  const check = (token: string, shape: RequestShape): Promise<EnvoyCheckResponse> =>
    harness.client.check({ ...shape, headers: { authorization: `Bearer ${token}`, ...shape.headers } });

  before(async function () {
    harness = await startHarness({
      resources: [
        { resource: MCP_RESOURCE, scopes: ['mcp:tools', 'weather:read', 'weather:tools', 'weather:admin'] },
        { resource: PLAIN_RESOURCE, scopes: ['mcp:tools'] },
      ],
      policies,
    });
    for (const [name, scope] of Object.entries({ base: 'mcp:tools', tools: 'mcp:tools weather:tools', admin: 'mcp:tools weather:admin', read: 'mcp:tools weather:read' })) {
      tokens[name] = await harness.token({ resource: MCP_RESOURCE, scope });
    }
    tokens.plain = await harness.token({ resource: PLAIN_RESOURCE, scope: 'mcp:tools' });
  });
  after(async function () {
    await harness.close();
  });

  describe('scopes per tool and per method', function () {
    it('34: tools/call delete_alert in the body, token without weather:admin: 403 listing every scope the request needs', async function () {
      assertInsufficientScope(await check(tokens.tools!, { body: toolCall('delete_alert') }), 'mcp:tools weather:admin');
    });

    it('allows the listed tool with its scope, sent in raw_body (pack_as_bytes)', async function () {
      assertAllowed(await check(tokens.admin!, { rawBody: Buffer.from(toolCall('delete_alert')) }));
    });

    it('never names offline_access in the challenge, even when a tool rule lists it', async function () {
      assertInsufficientScope(await check(tokens.tools!, { body: toolCall('purge') }), 'mcp:tools weather:admin');
    });

    it('a tool not listed needs the "*" scopes', async function () {
      assertInsufficientScope(await check(tokens.base!, { body: toolCall('get_forecast') }), 'mcp:tools weather:tools');
      assertAllowed(await check(tokens.tools!, { body: toolCall('get_forecast') }));
    });

    it('honours scopeImplications (weather:admin implies the "*" scope weather:tools)', async function () {
      assertAllowed(await check(tokens.admin!, { body: toolCall('get_forecast') }));
    });

    it('a method rule: resources/read needs weather:read', async function () {
      const body = rpc('resources/read', { uri: 'weather://today' });
      assertInsufficientScope(await check(tokens.tools!, { body }), 'mcp:tools weather:read');
      assertAllowed(await check(tokens.read!, { body }));
      assertAllowed(await check(tokens.base!, { body: rpc('tools/list') }));
    });

    it('36: a client\'s JSON-RPC response (id + result) needs requiredScopes only', async function () {
      assertAllowed(await check(tokens.base!, { body: '{"jsonrpc":"2.0","id":"s-1","result":{"action":"accept"}}' }));
    });

    it('GET and DELETE need requiredScopes only, whatever body comes along', async function () {
      for (const method of ['GET', 'DELETE']) assertAllowed(await check(tokens.base!, { method, body: 'not json' }));
    });

    it('a request without a token still gets the 401 discovery challenge first, body unread', async function () {
      const response = await harness.client.check({ body: '[garbage' });
      assert.equal(httpStatus(response), 401);
      assert.equal(challengeOf(response), `Bearer ${METADATA}, scope="mcp:tools", ${DPOP_OFFER}`);
    });
  });

  describe('mirrored headers (MCP 2026-07-28)', function () {
    it('trusts Mcp-Method/Mcp-Name with protocol version 2026-07-28 when no body is sent', async function () {
      assertInsufficientScope(await check(tokens.tools!, { headers: mirrored('tools/call', 'delete_alert') }), 'mcp:tools weather:admin');
      assertAllowed(await check(tokens.admin!, { headers: mirrored('tools/call', 'delete_alert', '2027-01-15') }));
    });

    it('decodes =?base64?…?= header values', async function () {
      const encoded = `=?base64?${Buffer.from('delete_alert').toString('base64')}?=`;
      assertInsufficientScope(await check(tokens.tools!, { headers: mirrored('tools/call', encoded) }), 'mcp:tools weather:admin');
    });

    it('35: Mcp-Method/Mcp-Name with MCP-Protocol-Version 2025-11-25 and no body: 400 unreadable_mcp_request', async function () {
      assertUnreadable(await check(tokens.admin!, { headers: mirrored('tools/call', 'delete_alert', '2025-11-25') }));
    });

    it('attack: trusted headers that name a harmless tool while the body calls delete_alert must be refused', async function () {
      assertUnreadable(await check(tokens.tools!, { headers: mirrored('tools/call', 'get_forecast'), body: toolCall('delete_alert') }));
      assertAllowed(await check(tokens.admin!, { headers: mirrored('tools/call', 'delete_alert'), body: toolCall('delete_alert') }));
    });

    it('attack: a broken base64 header value must be refused, never read as text', async function () {
      assertUnreadable(await check(tokens.admin!, { headers: mirrored('tools/call', '=?base64?ZGVsZXRlX2FsZXJ0?') }));
    });
  });

  describe('bodies that cannot be read', function () {
    it('attack: a partial body (x-envoy-auth-partial-body: true) must be refused', async function () {
      assertUnreadable(await check(tokens.admin!, { body: toolCall('delete_alert').slice(0, 200), headers: { 'x-envoy-auth-partial-body': 'true' } }));
    });

    it('attack: a body that is not JSON, or a batch, must be refused', async function () {
      for (const body of ['{"jsonrpc":"2.0","id":1,"method":"tools/call"', `[${toolCall('get_forecast')}]`, 'method=tools/call']) {
        assertUnreadable(await check(tokens.admin!, { body }));
      }
    });

    it('attack: a repeated method or tool name must be refused (a reader and the server could take different ones)', async function () {
      assertUnreadable(await check(tokens.tools!, { body: '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"delete_alert","name":"get_forecast"}}' }));
      assertUnreadable(await check(tokens.tools!, { body: '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"n\\u0061me":"delete_alert","name":"get_forecast"}}' }));
    });

    it('a POST with neither a body nor trusted headers is refused', async function () {
      assertUnreadable(await check(tokens.admin!, {}));
    });

    it('a policy without mcp rules never reads the body, even garbage', async function () {
      assertAllowed(await check(tokens.plain!, { authority: 'plain.example.com', body: '[[[garbage', headers: { 'x-envoy-auth-partial-body': 'true' } }));
    });
  });

  describe('observability', function () {
    it('counts MCP checks by configured method and tool, and logs them on a deny', async function () {
      const metrics = await harness.service.metrics.registry.getSingleMetricAsString('audience_guard_mcp_checks_total');
      assert.match(metrics, /audience_guard_mcp_checks_total\{namespace="mcp",policy="weather",method="tools\/call",tool="delete_alert",result="insufficient_scope"\} [1-9]/);
      assert.match(metrics, /audience_guard_mcp_checks_total\{namespace="mcp",policy="weather",method="tools\/call",tool="delete_alert",result="allowed"\} [1-9]/);
      assert.match(metrics, /audience_guard_mcp_checks_total\{namespace="mcp",policy="weather",method="other",tool="other",result="unreadable"\} [1-9]/);
      const line = harness.logs.find((entry) => entry.event === 'token_rejected' && entry.reason === 'insufficient_scope' && entry.mcp_tool === 'delete_alert');
      assert.equal(line?.mcp_method, 'tools/call');
      assert.ok(harness.logs.some((entry) => entry.reason === 'unreadable_mcp_request' && entry.mcp_method === 'other' && entry.mcp_tool === 'other'));
      assert.ok(!harness.logs.some((entry) => entry.reason === 'missing_token' && 'mcp_method' in entry), 'no MCP fields before the token verified');
    });

    it('attack: random tool and method names must never become label or log values', async function () {
      const names = fc.sample(fc.string({ minLength: 1, maxLength: 24 }), 25);
      for (const name of names) {
        await check(tokens.base!, { body: toolCall(name) });
        await check(tokens.base!, { body: rpc(name, { name }) });
      }
      const text = await harness.service.metrics.registry.getSingleMetricAsString('audience_guard_mcp_checks_total');
      const values = [...text.matchAll(/method="([^"]*)",tool="([^"]*)"/g)].flatMap((match) => [match[1], match[2]]);
      for (const value of values) assert.ok(['tools/call', 'resources/read', 'delete_alert', 'purge', 'other'].includes(String(value)), `label value ${String(value)}`);
      for (const entry of harness.logs.filter((line) => line.mcp_tool !== undefined)) {
        assert.ok(['delete_alert', 'purge', 'other'].includes(String(entry.mcp_tool)));
        assert.ok(['tools/call', 'resources/read', 'other'].includes(String(entry.mcp_method)));
      }
    });
  });
});
