/**
 * The whole MCP authorization flow with real software, through the Envoy
 * stand-in (a test double applying CheckResponses as Envoy does; the check is
 * real gRPC with Envoy's protos, body included as `raw_body`): the official
 * MCP SDK client, oidc-provider as the authorization server, audience-guard,
 * and an SDK MCP server that records every credential header it receives.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'mocha';
import { startEnvoyStandIn, type EnvoyStandIn } from '../support/envoy-stand-in.ts';
import { freeLoopbackPort } from '../support/free-port.ts';
import { TestOAuthProvider, connectAuthorized } from '../support/mcp-client.ts';
import { ADMIN_SCOPE, READ_SCOPE, startMcpStack, type McpStack } from '../support/mcp-stack.ts';
import { recordToken } from '../support/secret-ledger.ts';
import { toolScopeStepUpCases } from '../support/proxied-mcp-cases.ts';
import { assertNoCredentialReached, initializeRequest, toolNames } from '../support/mcp-assertions.ts';

describe('e2e: MCP client → Envoy stand-in (gRPC ext_authz) → MCP server', function () {
  this.timeout(30_000);
  let stack: McpStack;
  let envoy: EnvoyStandIn;
  let token = '';

  before(async () => {
    const port = await freeLoopbackPort();
    stack = await startMcpStack({ proxyPort: port });
    envoy = await startEnvoyStandIn({ port, authzPort: stack.service.grpcPort, upstream: stack.mcp.origin });
  });

  after(async () => {
    await envoy.close();
    await stack.close();
  });

  it('a real MCP client discovers, registers, authorizes with PKCE and resource, then lists and calls tools', async () => {
    const provider = new TestOAuthProvider();
    const { client } = await connectAuthorized(new URL(stack.resource), provider);
    try {
      assert.deepEqual(toolNames(await client.listTools()), ['delete_alert', 'get_forecast']);
      const result = await client.callTool({ name: 'get_forecast', arguments: { city: 'Oslo' } });
      assert.deepEqual(result.content, [{ type: 'text', text: 'Sunny in Oslo' }]);
    } finally {
      await client.close();
    }
    const [authorization] = provider.authorizationUrls;
    assert.ok(authorization !== undefined, 'the SDK went through the authorization endpoint');
    assert.equal(authorization.searchParams.get('resource'), stack.resource);
    assert.equal(authorization.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(authorization.searchParams.get('scope'), READ_SCOPE);
    token = recordToken(provider.tokens()?.access_token ?? '');
    assert.deepEqual(stack.mcp.toolCalls, ['get_forecast']);
    assert.ok(envoy.checks.some((check) => JSON.stringify(check).includes('raw_body')), 'the body went to the check');
  });

  it('attack: the client\'s token must never reach the MCP server, in the header or the access_token parameter', async () => {
    assert.notEqual(token, '', 'the flow ran first');
    await fetch(`${stack.resource}?access_token=${token}`, initializeRequest(token));
    for (const request of stack.mcp.received) assert.ok(!request.url.includes(token), `${request.url} carries the token`);
    assertNoCredentialReached(stack.mcp.received);
  });

  it('attack: a client\'s DPoP header must never reach the MCP server', async () => {
    await fetch(stack.resource, initializeRequest(token, { dpop: 'not-a-proof' }));
    assertNoCredentialReached(stack.mcp.received);
  });

  it('attack: a token obtained for another MCP resource must be refused and never reach the MCP server', async () => {
    const before = stack.mcp.received.length;
    const token = await stack.otherResourceToken();
    const response = await fetch(stack.resource, initializeRequest(token));
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    assert.match(response.headers.get('www-authenticate') ?? '', /resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp"/);
    assert.equal(stack.mcp.received.length, before, 'nothing reached the MCP server');
  });

  it('attack: an unreachable authorization service must let nothing through (403, empty body: failure_mode_allow false)', async () => {
    const before = stack.mcp.received.length;
    const unreachable = await startEnvoyStandIn({ authzPort: await freeLoopbackPort(), upstream: stack.mcp.origin, timeoutMs: 500 });
    try {
      const response = await fetch(`${unreachable.origin}/mcp`, initializeRequest(undefined));
      assert.equal(response.status, 403);
      assert.equal(await response.text(), '');
    } finally {
      await unreachable.close();
    }
    assert.equal(stack.mcp.received.length, before, 'nothing reached the MCP server');
  });
});

describe('e2e: per-tool scopes through the Envoy stand-in (the method read from raw_body)', function () {
  this.timeout(30_000);
  let stack: McpStack;
  let envoy: EnvoyStandIn;

  before(async () => {
    const port = await freeLoopbackPort();
    stack = await startMcpStack({ proxyPort: port, policyExtra: `  mcp:\n    toolScopes:\n      delete_alert: [${ADMIN_SCOPE}]\n` });
    envoy = await startEnvoyStandIn({ port, authzPort: stack.service.grpcPort, upstream: stack.mcp.origin });
  });

  after(async () => {
    await envoy.close();
    await stack.close();
  });

  toolScopeStepUpCases({ proxy: 'the Envoy stand-in', mirroredHeaders: false, stack: () => stack });

  it('attack: a body cut at max_request_bytes (x-envoy-auth-partial-body: true) must fail closed with 400 unreadable_mcp_request', async () => {
    const before = stack.mcp.received.length;
    const small = await startEnvoyStandIn({ authzPort: stack.service.grpcPort, upstream: stack.mcp.origin, maxRequestBytes: 32 });
    try {
      const token = recordToken(await stack.auth.issueToken({ resource: stack.resource, scope: `${READ_SCOPE} ${ADMIN_SCOPE}` }));
      const response = await fetch(`${small.origin}/mcp`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'delete_alert', arguments: { id: 'a1' } } }),
      });
      assert.equal(response.status, 400);
      assert.equal(((await response.json()) as { error?: string }).error, 'invalid_request');
    } finally {
      await small.close();
    }
    assert.equal(stack.mcp.received.length, before, 'nothing reached the MCP server');
  });
});
