/**
 * One conformance case, two transports: a case is sent either as Envoy's
 * CheckRequest over gRPC, or as an HTTP forward-auth request of the
 * `forwarded` family (Traefik's and Caddy's headers), and its answer is read
 * back in one shape, so the same table of cases holds both front ends to the
 * same decisions. Over HTTP the deny reason is not on the wire; it is read
 * from the `token_rejected` line the check wrote (the runner writes it before
 * the answer leaves), as an operator would.
 */
import { headerValue, httpStatus, type EnvoyCheckResponse, type RequestShape } from './envoy-check-client.ts';
import { forwardAuth, forwardedFamily } from './forward-auth-client.ts';
import type { Harness } from './service-harness.ts';

export type TransportName = 'grpc' | 'http';
export const TRANSPORTS: readonly TransportName[] = ['grpc', 'http'];

export interface CheckAnswer {
  readonly transport: TransportName;
  readonly allowed: boolean;
  /** The status the client gets: 200 for an allow, else the deny's (or the metadata document's). */
  readonly status: number;
  /** The answer's headers: the deny's or the metadata document's; for an allow, those set on the upstream request. */
  readonly headers: Readonly<Record<string, string>>;
  /** For an allow: the request headers the proxy must remove upstream. */
  readonly removedHeaders: readonly string[];
  /** gRPC only: the query parameters Envoy removes upstream (the HTTP proxies remove them by their own configuration). */
  readonly removedQuery: readonly string[] | undefined;
  /** gRPC only: the `decision` of the dynamic metadata (`allowed`, `allowed_not_enforced`, `denied`, `metadata`). */
  readonly decision: string | undefined;
  readonly body: string;
  readonly reason: string | undefined;
}

function fromCheckResponse(response: EnvoyCheckResponse): CheckAnswer {
  const allowed = (response.status?.code ?? 0) === 0;
  const options = allowed ? response.ok_response?.headers : response.denied_response?.headers;
  const headers: Record<string, string> = {};
  for (const option of options ?? []) {
    const key = option.header?.key;
    if (key !== undefined) headers[key.toLowerCase()] = headerValue(options, key) ?? '';
  }
  return {
    transport: 'grpc',
    allowed,
    status: allowed ? 200 : httpStatus(response) ?? 0,
    headers,
    removedHeaders: allowed ? response.ok_response?.headers_to_remove ?? [] : [],
    removedQuery: allowed ? response.ok_response?.query_parameters_to_remove ?? [] : undefined,
    decision: response.dynamic_metadata?.fields?.decision?.stringValue,
    body: response.denied_response?.body ?? '',
    reason: response.dynamic_metadata?.fields?.reason?.stringValue,
  };
}

async function overHttp(harness: Harness, shape: RequestShape): Promise<CheckAnswer> {
  const port = harness.service.httpAuthzPort;
  if (port === undefined) throw new Error('the harness runs no forward-auth listener (service.httpAuthz)');
  const seen = harness.logs.length;
  const response = await forwardAuth(port, {
    headers: [
      ...forwardedFamily(shape.method ?? 'POST', shape.authority ?? 'mcp.example.com', shape.path ?? '/mcp'),
      ['X-Request-Id', 'req-1'],
      ...Object.entries(shape.headers ?? {}),
    ],
  });
  const line = harness.logs.slice(seen).find((entry) => entry.event === 'token_rejected' && entry.frontend === 'http');
  const { 'x-envoy-auth-headers-to-remove': removed, ...rest } = response.headers;
  const allowed = response.status === 200 && removed !== undefined;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(rest)) {
    if (!['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding'].includes(name)) headers[name] = value;
  }
  return {
    transport: 'http',
    allowed,
    status: response.status,
    headers,
    removedHeaders: allowed ? removed.split(',').map((name) => name.trim()).filter((name) => name !== '') : [],
    removedQuery: undefined,
    decision: undefined,
    body: response.body,
    reason: line !== undefined && line.enforced === true ? String(line.reason) : undefined,
  };
}

/** Sends `shape` over `transport` to the harness's service. */
export async function sendCase(harness: Harness, transport: TransportName, shape: RequestShape): Promise<CheckAnswer> {
  return transport === 'grpc' ? fromCheckResponse(await harness.client.check(shape)) : overHttp(harness, shape);
}
