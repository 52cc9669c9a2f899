/**
 * Shared checks and requests of the end-to-end MCP tests (test/e2e).
 */
import { strict as assert } from 'node:assert';
import type { ReceivedRequest } from './mcp-server.ts';

/** No request that reached the MCP server carried a credential of the client. */
export function assertNoCredentialReached(received: readonly ReceivedRequest[]): void {
  assert.ok(received.length > 0, 'requests reached the MCP server');
  for (const request of received) {
    assert.equal(request.authorization, undefined, `${request.method} ${request.url} reached the server with an Authorization header`);
    assert.equal(request.dpop, undefined, `${request.method} ${request.url} reached the server with a DPoP header`);
    assert.doesNotMatch(request.url, /access_token/, `${request.method} ${request.url} reached the server with the access_token parameter`);
  }
}

/** A JSON-RPC initialize POST, as an MCP client sends it, with `token` as bearer. */
export function initializeRequest(token: string | undefined, extraHeaders: Record<string, string> = {}): RequestInit {
  return {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...extraHeaders,
    },
    body: JSON.stringify({
      jsonrpc: '2.0', id: 1, method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    }),
  };
}

export function toolNames(list: { tools: { name: string }[] }): string[] {
  return list.tools.map((tool) => tool.name).sort();
}
