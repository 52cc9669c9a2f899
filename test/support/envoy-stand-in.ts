/**
 * Envoy stand-in: a test double for Envoy's ext_authz HTTP filter (no Envoy
 * binary runs on these machines). A small HTTP proxy on 127.0.0.1 that, for
 * every request, sends a CheckRequest over real gRPC with Envoy's own protos,
 * configured as the shipped Envoy configuration is: `with_request_body` with
 * `max_request_bytes`, `allow_partial_message: true` and `pack_as_bytes: true`
 * (the body as `raw_body`, and `x-envoy-auth-partial-body` telling whether it
 * was cut), `failure_mode_allow: false`. It applies the CheckResponse the way
 * Envoy does (see check-response-application.ts) and forwards allowed
 * requests to the upstream.
 */
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { applyCheckResponse, type CheckResponseShape } from './check-response-application.ts';
import { envoyIncludeDirs } from './envoy-protos.ts';

const definition = loadSync('envoy/service/auth/v3/external_auth.proto', {
  keepCase: true, longs: Number, enums: Number, defaults: false, oneofs: true, includeDirs: envoyIncludeDirs(),
});
const AuthorizationClient = grpc.makeClientConstructor(
  definition['envoy.service.auth.v3.Authorization'] as grpc.ServiceDefinition,
  'Authorization',
);
type CheckMethod = (request: unknown, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null, response: CheckResponseShape) => void) => void;

export interface EnvoyStandInOptions {
  /** gRPC port of the ext_authz service. */
  readonly authzPort: number;
  /** e.g. http://127.0.0.1:PORT */
  readonly upstream: string;
  /** `with_request_body.max_request_bytes`. */
  readonly maxRequestBytes?: number;
  /** The ext_authz `timeout`. Envoy's default is 200 ms; loaded test machines need more. */
  readonly timeoutMs?: number;
  /** Port on 127.0.0.1 (default: ephemeral). */
  readonly port?: number;
}

export interface EnvoyStandIn {
  readonly port: number;
  readonly origin: string;
  /** The CheckRequests sent, oldest first. */
  readonly checks: Record<string, unknown>[];
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'proxy-connection']);

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Envoy's header map: lower-case names, pseudo-headers, `Host` as `:authority`, repeats joined with `,`. */
function envoyHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = { ':authority': req.headers.host ?? '', ':path': req.url ?? '/', ':method': req.method ?? 'GET', ':scheme': 'http' };
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    if (name === 'host' || values === undefined) continue;
    headers[name] = values.join(',');
  }
  return headers;
}

function checkRequest(req: IncomingMessage, headers: Record<string, string>, body: Buffer, maxBytes: number): Record<string, unknown> {
  const sent = body.subarray(0, maxBytes);
  const withBody = { ...headers, 'x-envoy-auth-partial-body': sent.length < body.length ? 'true' : 'false' };
  return {
    attributes: {
      source: { address: { socket_address: { address: req.socket.remoteAddress ?? '127.0.0.1', port_value: req.socket.remotePort ?? 0 } } },
      request: {
        http: {
          id: '1', method: headers[':method'], headers: withBody, path: headers[':path'], host: headers[':authority'],
          scheme: 'http', protocol: 'HTTP/1.1', size: body.length, raw_body: sent,
        },
      },
    },
  };
}

function forward(upstream: string, method: string, path: string, headers: Record<string, string>, body: Buffer, res: ServerResponse): void {
  const outgoing: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith(':') && !HOP_BY_HOP.has(name)) outgoing[name] = value;
  }
  outgoing.host = headers[':authority'] ?? '';
  outgoing['content-length'] = String(body.length);
  const proxied = httpRequest(new URL(path, upstream), { method, headers: outgoing }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  proxied.on('error', () => { res.writeHead(503).end(); });
  proxied.end(body);
}

export async function startEnvoyStandIn(options: EnvoyStandInOptions): Promise<EnvoyStandIn> {
  const client = new AuthorizationClient(`127.0.0.1:${String(options.authzPort)}`, grpc.credentials.createInsecure()) as unknown as { Check: CheckMethod } & grpc.Client;
  const checks: Record<string, unknown>[] = [];
  const maxBytes = options.maxRequestBytes ?? 65_536;
  const check = (request: Record<string, unknown>): Promise<CheckResponseShape | undefined> => new Promise((resolve) => {
    client.Check(request, { deadline: Date.now() + (options.timeoutMs ?? 2_000) }, (error, response) => {
      resolve(error === null ? response : undefined);
    });
  });
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req);
    const headers = envoyHeaders(req);
    const request = checkRequest(req, headers, body, maxBytes);
    checks.push(request);
    const outcome = applyCheckResponse(await check(request), headers);
    if (outcome.kind === 'reply') {
      res.writeHead(outcome.status, outcome.headers).end(outcome.body);
      return;
    }
    forward(options.upstream, headers[':method'] ?? 'GET', outcome.headers[':path'] ?? '/', outcome.headers, body, res);
  };
  const server = createServer((req, res) => {
    handle(req, res).catch(() => { res.writeHead(503).end(); });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    origin: `http://127.0.0.1:${String(port)}`,
    checks,
    close: () => new Promise<void>((resolve) => {
      client.close();
      server.close(() => { resolve(); });
      server.closeAllConnections();
    }),
  };
}
