/**
 * What a front end may know about a request beyond the `HttpRequestView`
 * (src/core/http-request.ts): the parts that only some checks will read. No
 * step reads them yet; they are here so that a step which needs one (a DPoP
 * proof, a certificate binding, a rule on an MCP method) is added without
 * changing every front end and decide()'s signature. A front end fills what
 * its protocol carries and leaves the rest undefined; a step that needs a
 * field that is absent must deny, never assume.
 */
export interface RequestExtras {
  /** The request body, when the proxy forwards it (Envoy's `with_request_body`). */
  readonly body?: Uint8Array | undefined;
  /** The client's TLS certificate as the proxy verified it, PEM (for RFC 8705 certificate-bound tokens). */
  readonly clientCertificate?: string | undefined;
  /** The `DPoP` proof header (RFC 9449 §4), exactly as received. */
  readonly dpopProof?: string | undefined;
  /** The MCP headers of the request (`mcp-protocol-version`, `mcp-session-id`), names lower-case. */
  readonly mcpHeaders?: Readonly<Record<string, string>> | undefined;
}

/** A request with no extras: what every front end passes today. */
export const NO_EXTRAS: RequestExtras = Object.freeze({});
