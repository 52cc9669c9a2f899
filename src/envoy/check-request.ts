/**
 * Reads Envoy's CheckRequest (docs/contract.md §6.1) into the
 * decision core's `HttpRequestView`, and into the request fields a security log
 * line may carry. Every field may be missing: proto3 omits defaults, and a
 * hostile or broken client may send anything; missing input never throws.
 */
import { asciiLower } from '../core/audience.ts';
import type { HttpRequestView } from '../core/http-request.ts';
import { MCP_HEADER_NAMES, pickHeaders, TRACE_HEADER_NAMES, type RequestExtras } from '../core/request-extras.ts';
import type { RequestLogFields } from '../runner/check-input.ts';
import type { AttributeContextHttpRequest, CheckRequest } from './proto.ts';

// Defined by the runner (protocol-neutral); re-exported for src/obs/rejection-log.ts.
export type { RequestLogFields } from '../runner/check-input.ts';

export const POLICY_REFERENCE_KEY = 'audienceguard.dev/policy';
const MAX_LOGGED_LENGTH = 512;

export interface ParsedCheckRequest {
  readonly view: HttpRequestView;
  readonly extras: RequestExtras;
  readonly log: RequestLogFields;
}

/**
 * Host of an `:authority` without port, lower-cased in ASCII only (RFC 3986
 * §6.2.2.1): String#toLowerCase would fold some non-ASCII letters onto ASCII
 * (U+212A KELVIN SIGN → "k") and select another host's policy.
 */
export function hostOfAuthority(authority: string): string {
  const lower = asciiLower(authority);
  if (lower.startsWith('[')) {
    const end = lower.indexOf(']');
    return end === -1 ? lower : lower.slice(0, end + 1);
  }
  const colon = lower.lastIndexOf(':');
  return colon === -1 ? lower : lower.slice(0, colon);
}

/** `:path` without query string or fragment. */
export function pathWithoutQuery(rawPath: string): string {
  const end = rawPath.search(/[?#]/);
  return end === -1 ? rawPath : rawPath.slice(0, end);
}

function clip(value: string): string {
  return value.length > MAX_LOGGED_LENGTH ? `${value.slice(0, MAX_LOGGED_LENGTH)}…` : value;
}

export function parseCheckRequest(request: CheckRequest): ParsedCheckRequest {
  const attributes = request.attributes;
  const http = attributes?.request?.http;
  const headers = http?.headers ?? {};
  const authority = headers[':authority'] ?? http?.host ?? '';
  const method = (headers[':method'] ?? http?.method ?? '').toUpperCase();
  const path = pathWithoutQuery(headers[':path'] ?? http?.path ?? '');
  const host = hostOfAuthority(authority);
  const socket = attributes?.source?.address?.socket_address;
  const source = socket?.address === undefined ? undefined : `${socket.address}:${String(socket.port_value ?? 0)}`;
  return {
    extras: extrasOf(request, headers, authority),
    view: {
      method,
      host,
      path,
      authorization: headers.authorization,
      policyReference: attributes?.context_extensions?.[POLICY_REFERENCE_KEY],
    },
    log: {
      request_id: headers['x-request-id'] === undefined ? undefined : clip(headers['x-request-id']),
      host: clip(host),
      method: clip(method),
      path: clip(path),
      source,
    },
  };
}

/**
 * `source.certificate` is URL-encoded PEM (Envoy `include_peer_certificate`);
 * one that does not decode is treated as absent, so a bound token is refused.
 */
function certificateOf(encoded: string | undefined): string | undefined {
  if (encoded === undefined || encoded === '') return undefined;
  try {
    return decodeURIComponent(encoded);
  } catch {
    return undefined;
  }
}

/** `raw_body` (Envoy `pack_as_bytes`) when sent, else the UTF-8 `body`; absent when Envoy sent neither. */
function bodyOf(http: AttributeContextHttpRequest | undefined): Uint8Array | undefined {
  if (http?.raw_body !== undefined && http.raw_body.length > 0) return http.raw_body;
  if (http?.body !== undefined && http.body !== '') return Buffer.from(http.body, 'utf8');
  return undefined;
}

function extrasOf(request: CheckRequest, headers: Readonly<Record<string, string>>, authority: string): RequestExtras {
  const http = request.attributes?.request?.http;
  return {
    authority,
    body: bodyOf(http),
    bodyPartial: headers['x-envoy-auth-partial-body']?.toLowerCase() === 'true' ? true : undefined,
    clientCertificate: certificateOf(request.attributes?.source?.certificate),
    dpopProof: headers.dpop,
    mcpHeaders: pickHeaders(headers, MCP_HEADER_NAMES),
    traceHeaders: pickHeaders(headers, TRACE_HEADER_NAMES),
  };
}
