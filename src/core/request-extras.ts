/**
 * What a front end may know about a request beyond the `HttpRequestView`
 * (src/core/http-request.ts): the parts that only some checks read — the
 * body for per-tool scopes, the `DPoP` proof and the client certificate for
 * sender-constrained tokens, the trace context. A front end fills what its
 * protocol carries and leaves the rest undefined; a step that needs a field
 * that is absent must deny, never assume.
 */
export interface RequestExtras {
  /** `:authority` exactly as the client addressed it (host and port), for a DPoP proof's `htu`. */
  readonly authority?: string | undefined;
  /** The request body, when the proxy forwards it (Envoy's `with_request_body`: `raw_body`, else `body`). */
  readonly body?: Uint8Array | undefined;
  /** The proxy says the body was cut at its size limit (Envoy: `x-envoy-auth-partial-body: true`). */
  readonly bodyPartial?: boolean | undefined;
  /** The client's TLS certificate as the proxy verified it, PEM (for RFC 8705 certificate-bound tokens). */
  readonly clientCertificate?: string | undefined;
  /** The `dpop` header (RFC 9449 §4) exactly as received; a repeated header arrives comma-joined. */
  readonly dpopProof?: string | undefined;
  /** The MCP headers (`mcp-protocol-version`, `mcp-method`, `mcp-name`, `mcp-session-id`), names lower-case. */
  readonly mcpHeaders?: Readonly<Record<string, string>> | undefined;
  /** Trace-context headers of the request (`traceparent`, `tracestate`, `b3`, `x-b3-*`), names lower-case. */
  readonly traceHeaders?: Readonly<Record<string, string>> | undefined;
}

/** A request with no extras. */
export const NO_EXTRAS: RequestExtras = Object.freeze({});

export const MCP_HEADER_NAMES: readonly string[] = ['mcp-protocol-version', 'mcp-method', 'mcp-name', 'mcp-session-id'];
export const TRACE_HEADER_NAMES: readonly string[] = [
  'traceparent', 'tracestate', 'b3', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid', 'x-b3-sampled', 'x-b3-flags',
];

/** The named headers present in `headers`, or undefined when none is (no object for most requests). */
export function pickHeaders(headers: Readonly<Record<string, string>>, names: readonly string[]): Record<string, string> | undefined {
  let picked: Record<string, string> | undefined;
  for (const name of names) {
    const value = headers[name];
    if (value !== undefined) (picked ??= {})[name] = value;
  }
  return picked;
}
