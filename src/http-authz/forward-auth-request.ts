/**
 * Reads one forward-auth request into the runner's `CheckInput`: the peer
 * first (an untrusted one is refused before anything it sent is read), then
 * the original request from the proxy's family of headers (proxy-family.ts),
 * then the credentials and the extras the gRPC front end fills from a
 * CheckRequest (src/envoy/check-request.ts), from the same headers.
 */
import { MCP_HEADER_NAMES, TRACE_HEADER_NAMES, type RequestExtras } from '../core/request-extras.ts';
import { hostOfAuthority, pathWithoutQuery } from '../envoy/check-request.ts';
import type { CheckInput, RefusedInput, RequestLogFields } from '../runner/check-input.ts';
import { certificateFromHeader } from './client-certificate.ts';
import { joinedValue, MultiValued, pickJoined, singleValue, type DistinctHeaders } from './distinct-headers.ts';
import { originalRequest, type OriginalRequest, type ProxySetting } from './proxy-family.ts';
import type { TrustedPeers } from './trusted-peers.ts';

const MAX_LOGGED_LENGTH = 512;

/** What the listener received, body already read (bounded). */
export interface ForwardAuthRequest {
  readonly peerAddress: string | undefined;
  readonly peerPort: number | undefined;
  /** The request line. */
  readonly method: string;
  readonly target: string;
  readonly headers: DistinctHeaders;
  /** The body the proxy sent (Envoy http_service `with_request_body`), undefined when none. */
  readonly body: Uint8Array | undefined;
  /** The body was longer than the listener reads; `body` holds its start. */
  readonly bodyCut: boolean;
}

export interface ForwardAuthSettings {
  readonly peers: TrustedPeers;
  readonly proxy: ProxySetting;
  /** Lower-case header name the proxy puts the client certificate in; none = no certificate. */
  readonly clientCertHeader: string | undefined;
  readonly pathPrefix: string | undefined;
}

function clip(value: string): string {
  return value.length > MAX_LOGGED_LENGTH ? `${value.slice(0, MAX_LOGGED_LENGTH)}…` : value;
}

function sourceOf(request: ForwardAuthRequest): string | undefined {
  if (request.peerAddress === undefined) return undefined;
  return `${request.peerAddress}:${String(request.peerPort ?? 0)}`;
}

/** The request as received, for the log line of a refused one: nothing read from its headers but the request id. */
function receivedLog(request: ForwardAuthRequest, requestId: string | undefined): RequestLogFields {
  return {
    request_id: requestId, host: '', method: clip(request.method), path: clip(pathWithoutQuery(request.target)), source: sourceOf(request),
  };
}

export function readForwardAuth(request: ForwardAuthRequest, settings: ForwardAuthSettings): CheckInput | RefusedInput {
  if (!settings.peers.trusts(request.peerAddress)) return { refused: 'untrusted_peer', log: receivedLog(request, undefined) };
  const rawId = joinedValue(request.headers, 'x-request-id');
  const requestId = rawId === undefined ? undefined : clip(rawId);
  const refused: RefusedInput = { refused: 'invalid_request', log: receivedLog(request, requestId) };
  const line = { method: request.method, target: request.target, pathPrefix: settings.pathPrefix };
  const original = originalRequest(request.headers, line, settings.proxy);
  if (original === undefined) return refused;
  let certificate: string | undefined;
  try {
    certificate = settings.clientCertHeader === undefined ? undefined : singleValue(request.headers, settings.clientCertHeader);
  } catch (error) {
    if (error instanceof MultiValued) return refused;
    throw error;
  }
  const host = hostOfAuthority(original.authority);
  const path = pathWithoutQuery(original.target);
  return {
    view: {
      method: original.method,
      host,
      path,
      // Repeated, it is joined as Envoy joins it, and the credential step refuses it (invalid_request).
      authorization: joinedValue(request.headers, 'authorization'),
      policyReference: undefined,
    },
    extras: extrasOf(request, original, certificateFromHeader(certificate)),
    log: {
      request_id: requestId,
      host: clip(host),
      method: clip(original.method),
      path: clip(path),
      source: sourceOf(request),
    },
  };
}

function extrasOf(request: ForwardAuthRequest, original: OriginalRequest, certificate: string | undefined): RequestExtras {
  const { headers } = request;
  const proxyCut = original.family === 'envoy' && joinedValue(headers, 'x-envoy-auth-partial-body')?.toLowerCase() === 'true';
  return {
    authority: original.authority,
    body: request.body !== undefined && request.body.length > 0 ? request.body : undefined,
    bodyPartial: proxyCut || request.bodyCut ? true : undefined,
    clientCertificate: certificate,
    dpopProof: joinedValue(headers, 'dpop'),
    mcpHeaders: pickJoined(headers, MCP_HEADER_NAMES),
    traceHeaders: pickJoined(headers, TRACE_HEADER_NAMES),
  };
}
