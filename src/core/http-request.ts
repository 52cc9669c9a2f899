/**
 * What the decision core sees of an HTTP request: the few attributes it needs,
 * already taken out of Envoy's CheckRequest by the adapter (src/envoy/).
 */
export interface HttpRequestView {
  /** Upper-case method (`:method`). */
  readonly method: string;
  /** Lower-case host of `:authority`, without port. */
  readonly host: string;
  /** Path of `:path` without query string or fragment. */
  readonly path: string;
  /** The raw `authorization` header value; Envoy joins repeated headers with ",". */
  readonly authorization: string | undefined;
  /** `context_extensions["audienceguard.dev/policy"]`: an explicit `NAMESPACE/NAME`. */
  readonly policyReference: string | undefined;
}
