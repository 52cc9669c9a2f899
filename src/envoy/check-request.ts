/**
 * Reads Envoy's CheckRequest (docs/contract.md §6.1) into the
 * decision core's `HttpRequestView`, and into the request fields a security log
 * line may carry. Every field may be missing: proto3 omits defaults, and a
 * hostile or broken client may send anything; missing input never throws.
 */
import { asciiLower } from '../core/audience.ts';
import type { HttpRequestView } from '../core/http-request.ts';
import type { RequestLogFields } from '../runner/check-input.ts';
import type { CheckRequest } from './proto.ts';

// Defined by the runner (protocol-neutral); re-exported for src/obs/rejection-log.ts.
export type { RequestLogFields } from '../runner/check-input.ts';

export const POLICY_REFERENCE_KEY = 'audienceguard.dev/policy';
const MAX_LOGGED_LENGTH = 512;

export interface ParsedCheckRequest {
  readonly view: HttpRequestView;
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
