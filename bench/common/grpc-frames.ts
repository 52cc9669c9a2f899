/**
 * Pre-encoded Check calls, built with Envoy's own ext_authz protos (as shipped
 * in @grpc/grpc-js-xds, the same files the tests speak), shaped like what an
 * Envoy in front of an MCP server sends: pseudo-headers, the usual MCP client
 * headers, a fresh `x-request-id`, source and destination addresses, time.
 */
import { randomUUID } from 'node:crypto';
import { loadSync } from '@grpc/proto-loader';
import type { MethodDefinition } from '@grpc/proto-loader';
import { envoyIncludeDirs } from '../../test/support/envoy-protos.ts';

export const CHECK_PATH = '/envoy.service.auth.v3.Authorization/Check';

const definition = loadSync('envoy/service/auth/v3/external_auth.proto', {
  keepCase: true, longs: String, enums: String, defaults: false, oneofs: true, includeDirs: envoyIncludeDirs(),
});
const check = (definition['envoy.service.auth.v3.Authorization'] as Record<string, MethodDefinition<object, object>>).Check!;

export interface CheckShape {
  readonly authority: string;
  readonly path: string;
  /** The whole Authorization header value, or none. */
  readonly authorization?: string;
  /** A request body, sent as `raw_body` (Envoy's with_request_body with pack_as_bytes). */
  readonly body?: Uint8Array;
  /** A DPoP proof (the `dpop` header), or none. */
  readonly dpop?: string;
}

/** A CheckRequest as Envoy's ext_authz filter builds it for an MCP `POST`. */
export function envoyCheckRequest(shape: CheckShape): object {
  const headers: Record<string, string> = {
    ':authority': shape.authority,
    ':path': shape.path,
    ':method': 'POST',
    ':scheme': 'https',
    'user-agent': 'mcp-client/1.4.0 (node)',
    'x-request-id': randomUUID(),
    'mcp-protocol-version': '2025-06-18',
    'mcp-session-id': randomUUID(),
    'content-type': 'application/json',
    'accept': 'application/json, text/event-stream',
    'content-length': String(shape.body?.length ?? 187),
    'x-forwarded-proto': 'https',
    'x-envoy-expected-rq-timeout-ms': '15000',
    ...(shape.authorization === undefined ? {} : { authorization: shape.authorization }),
    ...(shape.dpop === undefined ? {} : { dpop: shape.dpop }),
  };
  return {
    attributes: {
      source: { address: { socket_address: { address: '10.42.0.17', port_value: 51234 } } },
      destination: { address: { socket_address: { address: '10.42.1.5', port_value: 8443 } } },
      request: {
        time: { seconds: String(Math.floor(Date.now() / 1000)), nanos: 0 },
        http: {
          id: '1234567890123456789', method: 'POST', headers, path: shape.path, host: shape.authority, scheme: 'https',
          size: String(shape.body?.length ?? 187), protocol: 'HTTP/2', ...(shape.body === undefined ? {} : { raw_body: Buffer.from(shape.body) }),
        },
      },
    },
  };
}

/** One gRPC length-prefixed message: flag byte 0 (uncompressed), 4-byte big-endian length, bytes. */
export function grpcFrame(message: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(5 + message.length);
  frame.writeUInt8(0, 0);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}

export function checkFrame(shape: CheckShape): Buffer {
  return grpcFrame(check.requestSerialize(envoyCheckRequest(shape)));
}

/** Decodes a CheckResponse message (without the 5-byte frame prefix) with Envoy's protos. */
export function decodeCheckResponse(message: Buffer): { status?: { code?: number; message?: string }; ok_response?: object; denied_response?: object } {
  return check.responseDeserialize(message);
}
