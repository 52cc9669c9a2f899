/**
 * A real MCP server for end-to-end tests, built with the official SDK
 * (McpServer + the Streamable HTTP server transport, stateless: one server and
 * transport per request) on 127.0.0.1. It has two tools, `get_forecast` and
 * `delete_alert`, and it records the credential headers of every request it
 * receives (`authorization`, `dpop`) and every request URL, so a test can
 * prove that none of the client's credentials got past the proxy.
 *
 * With `mirroredHeaders`, it also behaves as MCP 2026-07-28 asks of a server
 * that receives the mirrored headers (`Mcp-Method`, `Mcp-Name` with
 * `MCP-Protocol-Version: 2026-07-28`): a request whose headers disagree with
 * its JSON-RPC body is refused with 400. The SDK (1.32) itself speaks
 * 2025-11-25 and refuses the newer version, so such a request is then handed
 * to it under the version it knows.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

export const MCP_PATH = '/mcp';

/** What reached the MCP server for one request. */
export interface ReceivedRequest {
  readonly method: string;
  /** Path and query as received. */
  readonly url: string;
  readonly authorization: string | undefined;
  readonly dpop: string | undefined;
  /** Every header as received (lower-case names). */
  readonly headers: IncomingMessage['headersDistinct'];
}

export interface LocalMcpServer {
  /** http://127.0.0.1:PORT — the origin the proxies forward to. */
  readonly origin: string;
  readonly port: number;
  /** Requests that reached the server, oldest first. */
  readonly received: ReceivedRequest[];
  /** Tool calls the server executed, by tool name. */
  readonly toolCalls: string[];
  close(): Promise<void>;
}

function buildServer(toolCalls: string[]): McpServer {
  const server = new McpServer({ name: 'weather-test-server', version: '1.0.0' });
  server.registerTool('get_forecast', {
    description: 'Forecast for a city',
    inputSchema: { city: z.string() },
  }, ({ city }) => {
    toolCalls.push('get_forecast');
    return { content: [{ type: 'text', text: `Sunny in ${city}` }] };
  });
  server.registerTool('delete_alert', {
    description: 'Delete a weather alert',
    inputSchema: { id: z.string() },
  }, ({ id }) => {
    toolCalls.push('delete_alert');
    return { content: [{ type: 'text', text: `Deleted alert ${id}` }] };
  });
  return server;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

export const MIRRORED_HEADERS_VERSION = '2026-07-28';
const SDK_PROTOCOL_VERSION = '2025-11-25';

/** `=?base64?…?=` values are decoded (MCP 2026-07-28 header encoding). */
function headerText(value: string | undefined): string | undefined {
  const encoded = /^=\?base64\?(.*)\?=$/.exec(value ?? '');
  return encoded === null ? value : Buffer.from(encoded[1] ?? '', 'base64').toString('utf8');
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
}

/** Whether the mirrored headers agree with the body; rewrites the protocol version for the SDK. */
function mirroredHeadersAgree(req: IncomingMessage, body: unknown): boolean {
  if (single(req.headers['mcp-protocol-version']) !== MIRRORED_HEADERS_VERSION) return true;
  const message = (typeof body === 'object' && body !== null ? body : {}) as { method?: unknown; params?: { name?: unknown; uri?: unknown } };
  const name = message.params?.name ?? message.params?.uri;
  const agree = headerText(single(req.headers['mcp-method'])) === message.method
    && headerText(single(req.headers['mcp-name'])) === (typeof name === 'string' ? name : undefined);
  for (let index = 0; index < req.rawHeaders.length; index += 2) {
    if (req.rawHeaders[index]?.toLowerCase() === 'mcp-protocol-version') req.rawHeaders[index + 1] = SDK_PROTOCOL_VERSION;
  }
  return agree;
}

export async function startMcpServer(options: { mirroredHeaders?: boolean } = {}): Promise<LocalMcpServer> {
  const received: ReceivedRequest[] = [];
  const toolCalls: string[] = [];
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    received.push({
      method: req.method ?? '',
      url: req.url ?? '',
      authorization: single(req.headers.authorization),
      dpop: single(req.headers.dpop),
      headers: req.headersDistinct,
    });
    if (!(req.url ?? '').startsWith(MCP_PATH)) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
      return;
    }
    let parsedBody: unknown;
    if (options.mirroredHeaders === true && req.method === 'POST') {
      parsedBody = await readJson(req);
      if (!mirroredHeadersAgree(req, parsedBody)) {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"mirrored headers disagree with the body"}');
        return;
      }
    }
    const server = buildServer(toolCalls);
    // Stateless: no session id, JSON answers (no SSE stream) so each POST completes on its own.
    const transport = new StreamableHTTPServerTransport({ enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, parsedBody);
  };
  const http = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${String(port)}`,
    port,
    received,
    toolCalls,
    close: () => new Promise<void>((resolve) => {
      http.close(() => { resolve(); });
      http.closeAllConnections();
    }),
  };
}
