/**
 * Shared checks and requests of the end-to-end MCP tests (test/e2e).
 */
import { strict as assert } from 'node:assert';
import { request as httpRequest } from 'node:http';
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

export interface RawAnswer {
  readonly status: number;
  /** Values of one header exactly as often as it was sent. */
  header(name: string): string[];
  readonly body: string;
}

/** One HTTP/1.1 request with node:http, so repeated answer headers can be counted (fetch joins them). */
export function rawRequest(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const sent = httpRequest(url, { method: init.method ?? 'GET', headers: init.headers ?? {} }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const raw = response.rawHeaders;
        resolve({
          status: response.statusCode ?? 0,
          header: (name) => raw.flatMap((value, index) => (index % 2 === 0 && value.toLowerCase() === name ? [raw[index + 1] ?? ''] : [])),
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
      response.on('error', reject);
    });
    sent.on('error', reject);
    sent.end(init.body);
  });
}

/** An initialize POST as raw request options. */
export function rawInitialize(token: string | undefined, extraHeaders: Record<string, string> = {}): { method: string; headers: Record<string, string>; body: string } {
  const init = initializeRequest(token, extraHeaders);
  return { method: 'POST', headers: init.headers as Record<string, string>, body: init.body as string };
}
