/**
 * The end-to-end cases every HTTP proxy in front of audience-guard's
 * forward-auth listener must pass (the real nginx and Caddy run them, see
 * test/e2e): the MCP SDK's whole authorization flow completes, and none of the
 * client's credentials, nor a token for another resource, reaches the server
 * (docs/contract.md §8.5, cases 42 to 44).
 */
import { strict as assert } from 'node:assert';
import { it } from 'mocha';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { TestOAuthProvider, connectAuthorized, mirroredHeadersFetch } from './mcp-client.ts';
import { MIRRORED_HEADERS_VERSION } from './mcp-server.ts';
import { ADMIN_SCOPE, READ_SCOPE, type McpStack } from './mcp-stack.ts';
import { assertNoCredentialReached, rawInitialize, rawRequest, toolNames } from './mcp-assertions.ts';
import { recordToken } from './secret-ledger.ts';

export interface ProxiedContext {
  readonly proxy: string;
  stack(): McpStack;
}

const METADATA_PATH = '/.well-known/oauth-protected-resource/mcp';

export function proxiedMcpCases(context: ProxiedContext): void {
  let token = '';

  it(`a real MCP client discovers, registers, authorizes with PKCE and resource, then lists and calls tools through ${context.proxy}`, async () => {
    const stack = context.stack();
    const provider = new TestOAuthProvider();
    const { client } = await connectAuthorized(new URL(stack.resource), provider);
    try {
      assert.deepEqual(toolNames(await client.listTools()), ['delete_alert', 'get_forecast']);
      const result = await client.callTool({ name: 'get_forecast', arguments: { city: 'Oslo' } });
      assert.deepEqual(result.content, [{ type: 'text', text: 'Sunny in Oslo' }]);
    } finally {
      await client.close();
    }
    token = recordToken(provider.tokens()?.access_token ?? '');
    assert.equal(provider.authorizationUrls[0]?.searchParams.get('resource'), stack.resource);
    assert.ok(stack.mcp.toolCalls.includes('get_forecast'));
  });

  it(`the RFC 9728 document is served through ${context.proxy} without a token`, async () => {
    const stack = context.stack();
    const answer = await rawRequest(new URL(METADATA_PATH, stack.resource).href);
    assert.equal(answer.status, 200);
    assert.equal((JSON.parse(answer.body) as { resource?: string }).resource, stack.resource);
  });

  it(`a request without a token gets 401 with exactly one WWW-Authenticate naming the metadata document (${context.proxy})`, async () => {
    const stack = context.stack();
    const before = stack.mcp.received.length;
    const answer = await rawRequest(stack.resource, rawInitialize(undefined));
    assert.equal(answer.status, 401);
    assert.deepEqual(answer.header('www-authenticate').length, 1, 'the challenge is sent once');
    assert.match(answer.header('www-authenticate')[0] ?? '', /resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp"/);
    assert.match(answer.header('content-type')[0] ?? '', /application\/json/);
    assert.equal(stack.mcp.received.length, before);
  });

  it(`a token without the required scope gets 403 insufficient_scope with exactly one challenge naming the scope (${context.proxy})`, async () => {
    const stack = context.stack();
    const before = stack.mcp.received.length;
    const answer = await rawRequest(stack.resource, rawInitialize(recordToken(await stack.auth.issueToken({ resource: stack.resource, scope: ADMIN_SCOPE }))));
    assert.equal(answer.status, 403);
    assert.equal(answer.header('www-authenticate').length, 1, 'the challenge is sent once');
    assert.match(answer.header('www-authenticate')[0] ?? '', new RegExp(`error="insufficient_scope", scope="${READ_SCOPE}"`));
    assert.match(answer.header('content-type')[0] ?? '', /application\/json/);
    assert.equal(stack.mcp.received.length, before);
  });

  it(`attack: the client's token must never reach the MCP server, nor a DPoP header (${context.proxy})`, async () => {
    const stack = context.stack();
    assert.notEqual(token, '', 'the flow ran first');
    await rawRequest(stack.resource, rawInitialize(token, { dpop: 'not-a-proof' }));
    assertNoCredentialReached(stack.mcp.received);
  });

  it(`attack: a token in the access_token query parameter must never reach the MCP server (${context.proxy})`, async () => {
    const stack = context.stack();
    await rawRequest(`${stack.resource}?access_token=${token}`, rawInitialize(token));
    await rawRequest(`${stack.resource}?a=1&access%5Ftoken=${token}&b=2`, rawInitialize(token));
    for (const request of stack.mcp.received) assert.ok(!request.url.includes(token), `${request.url} carries the token`);
    assertNoCredentialReached(stack.mcp.received);
  });

  it(`attack: a token obtained for another MCP resource must be refused and never reach the MCP server (${context.proxy})`, async () => {
    const stack = context.stack();
    const before = stack.mcp.received.length;
    const answer = await rawRequest(stack.resource, rawInitialize(await stack.otherResourceToken()));
    assert.equal(answer.status, 401);
    assert.equal(answer.header('www-authenticate').length, 1);
    assert.match(answer.header('www-authenticate')[0] ?? '', /error="invalid_token"/);
    assert.equal(stack.mcp.received.length, before, 'nothing reached the MCP server');
  });

  it(`attack: another family's headers sent by the client must not redirect the decision to the metadata path (${context.proxy})`, async () => {
    const stack = context.stack();
    const before = stack.mcp.received.length;
    const origin = new URL(stack.resource).origin;
    const answer = await rawRequest(stack.resource, rawInitialize(undefined, {
      'x-forwarded-method': 'GET', 'x-forwarded-uri': METADATA_PATH, 'x-original-uri': METADATA_PATH,
      'x-original-method': 'GET', 'x-original-url': `${origin}${METADATA_PATH}`,
    }));
    assert.equal(answer.status, 401);
    assert.equal(stack.mcp.received.length, before, 'nothing reached the MCP server');
  });
}

/**
 * Per-tool scopes (the policy requires `weather:admin` for `delete_alert`): a client whose token
 * lacks it meets 403 insufficient_scope with the challenge intact, exactly once; the SDK
 * re-authorizes with the challenge's scope, and the call then goes through. `fetch` adds what
 * the proxy needs to read the method (the mirrored headers) or nothing (a proxy that sends the body).
 */
export function toolScopeStepUpCases(context: ProxiedContext & { mirroredHeaders: boolean }): void {
  const fetch = context.mirroredHeaders ? mirroredHeadersFetch() : undefined;
  it(`the 403 insufficient_scope of a tool call reaches the client intact, with one challenge naming the scope (${context.proxy})`, async () => {
    const stack = context.stack();
    const before = stack.mcp.received.length;
    const token = recordToken(await stack.auth.issueToken({ resource: stack.resource, scope: READ_SCOPE }));
    const body = JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'delete_alert', arguments: { id: 'a1' } } });
    const mirrored = context.mirroredHeaders ? { 'mcp-method': 'tools/call', 'mcp-name': 'delete_alert', 'mcp-protocol-version': MIRRORED_HEADERS_VERSION } : {};
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...mirrored };
    const answer = await rawRequest(stack.resource, { method: 'POST', headers, body });
    assert.equal(answer.status, 403);
    assert.equal(answer.header('www-authenticate').length, 1, 'the challenge is sent once');
    assert.match(answer.header('www-authenticate')[0] ?? '', new RegExp(`error="insufficient_scope", scope="[^"]*${ADMIN_SCOPE}`));
    assert.equal(stack.mcp.received.length, before, 'nothing reached the MCP server');
  });

  it(`a real MCP client steps up after 403 insufficient_scope and the tool call then goes through (${context.proxy})`, async () => {
    const stack = context.stack();
    const provider = new TestOAuthProvider();
    const url = new URL(stack.resource);
    const first = await connectAuthorized(url, provider, fetch);
    await assert.rejects(first.client.callTool({ name: 'delete_alert', arguments: { id: 'a1' } }), UnauthorizedError);
    assert.ok(!stack.mcp.toolCalls.includes('delete_alert'), 'the refused call never ran');
    assert.match(provider.authorizationUrls.at(-1)?.searchParams.get('scope') ?? '', new RegExp(ADMIN_SCOPE));
    await first.transport.finishAuth(provider.takeCode());
    await first.client.close();
    const second = await connectAuthorized(url, provider, fetch);
    try {
      const result = await second.client.callTool({ name: 'delete_alert', arguments: { id: 'a1' } });
      assert.deepEqual(result.content, [{ type: 'text', text: 'Deleted alert a1' }]);
    } finally {
      await second.client.close();
    }
    recordToken(provider.tokens()?.access_token ?? '');
  });
}
