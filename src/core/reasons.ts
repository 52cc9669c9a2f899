/**
 * Deny reasons are the error system (docs/contract.md §3.1): one closed union,
 * one table. The metric label `reason`, the log field `reason`, the README
 * table and the HTTP/gRPC mapping all come from here;
 * test/docs/readme-tables.test.ts keeps the README in step with it.
 */

export const REASONS = [
  'missing_token',
  'invalid_request',
  'malformed_token',
  'token_too_large',
  'unsupported_token_type',
  'disallowed_algorithm',
  'unknown_issuer',
  'unknown_key',
  'invalid_signature',
  'expired',
  'not_yet_valid',
  'missing_claim',
  'id_token_presented',
  'audience_mismatch',
  'insufficient_scope',
  'keys_unavailable',
  'upstream_token_unavailable',
  'no_policy',
  'ambiguous_path',
  'policy_unavailable',
  'unreadable_mcp_request',
  'invalid_dpop_proof',
  'dpop_replayed',
  'dpop_required',
  'dpop_nonce_required',
  'dpop_unavailable',
  'token_binding_mismatch',
  'introspection_unavailable',
  'untrusted_peer',
  'timeout',
  'internal_error',
] as const;

export type Reason = (typeof REASONS)[number];

/** How a reason is answered (docs/contract.md §2.5). */
export type ChallengeKind =
  | 'none' // no WWW-Authenticate at all
  | 'no_error' // Bearer resource_metadata=… (+ scope=…), no error: RFC 6750 §3.1 "no authentication information"
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'invalid_dpop_proof' // RFC 9449 §7.1: answered in a `DPoP` challenge
  | 'use_dpop_nonce'; // RFC 9449 §9: a `DPoP` challenge and a `DPoP-Nonce` header

export interface ReasonSpec {
  /** HTTP status of Envoy's local reply. */
  readonly httpStatus: 400 | 401 | 403 | 500 | 503;
  /** gRPC status code in CheckResponse.status; any non-zero code denies. */
  readonly grpcCode: number;
  readonly challenge: ChallengeKind;
  /** `error` of the JSON body. */
  readonly bodyError: string;
  /**
   * Fixed description (printable ASCII, no `"` or `\`: RFC 6750 §3). Never
   * built from request or token content.
   */
  readonly description: string;
  /** Answered with `retry-after`. */
  readonly retryable: boolean;
}

// google.rpc.Code values (Envoy denies on any non-zero code).
const INVALID_ARGUMENT = 3;
const PERMISSION_DENIED = 7;
const INTERNAL = 13;
const UNAVAILABLE = 14;
const UNAUTHENTICATED = 16;

function invalidToken(description: string): ReasonSpec {
  return {
    httpStatus: 401, grpcCode: UNAUTHENTICATED, challenge: 'invalid_token', bodyError: 'invalid_token', description, retryable: false,
  };
}

function unavailable(description: string): ReasonSpec {
  return { httpStatus: 503, grpcCode: UNAVAILABLE, challenge: 'none', bodyError: 'temporarily_unavailable', description, retryable: true };
}

export const REASON_TABLE: Readonly<Record<Reason, ReasonSpec>> = Object.freeze({
  missing_token: {
    httpStatus: 401, grpcCode: UNAUTHENTICATED, challenge: 'no_error', bodyError: 'unauthorized',
    description: 'A Bearer access token in the Authorization header is required', retryable: false,
  },
  invalid_request: {
    httpStatus: 400, grpcCode: INVALID_ARGUMENT, challenge: 'invalid_request', bodyError: 'invalid_request',
    description: 'The Authorization header is malformed or repeated', retryable: false,
  },
  malformed_token: invalidToken('The access token is not a well-formed signed JWT'),
  token_too_large: invalidToken('The access token is too large'),
  unsupported_token_type: invalidToken('The token type is not accepted as an access token'),
  disallowed_algorithm: invalidToken('The token signing algorithm is not allowed'),
  unknown_issuer: invalidToken('The token issuer is not trusted for this resource'),
  unknown_key: invalidToken('The token signing key is unknown'),
  invalid_signature: invalidToken('The token signature is invalid'),
  expired: invalidToken('The access token has expired or is not active'),
  not_yet_valid: invalidToken('The access token is not yet valid'),
  missing_claim: invalidToken('The access token lacks a required claim or a claim is malformed'),
  id_token_presented: invalidToken('An ID token is not an access token'),
  audience_mismatch: invalidToken('The access token was not issued for this resource'),
  insufficient_scope: {
    httpStatus: 403, grpcCode: PERMISSION_DENIED, challenge: 'insufficient_scope', bodyError: 'insufficient_scope',
    description: 'The access token lacks a required scope', retryable: false,
  },
  keys_unavailable: unavailable('The issuer signing keys are unavailable'),
  upstream_token_unavailable: unavailable('An upstream access token could not be obtained'),
  no_policy: {
    httpStatus: 403, grpcCode: PERMISSION_DENIED, challenge: 'none', bodyError: 'access_denied',
    description: 'No audience policy protects this request', retryable: false,
  },
  ambiguous_path: {
    httpStatus: 400, grpcCode: INVALID_ARGUMENT, challenge: 'invalid_request', bodyError: 'invalid_request',
    description: 'The request path has spellings that belong to different policies', retryable: false,
  },
  policy_unavailable: unavailable('The policy protecting this request is not in force'),
  unreadable_mcp_request: {
    httpStatus: 400, grpcCode: INVALID_ARGUMENT, challenge: 'invalid_request', bodyError: 'invalid_request',
    description: 'The MCP method or tool of the request cannot be read', retryable: false,
  },
  // The DPoP reasons answer with a `DPoP` challenge as well (RFC 9449 §7.1); src/core/challenge.ts adds it.
  invalid_dpop_proof: {
    httpStatus: 401, grpcCode: UNAUTHENTICATED, challenge: 'invalid_dpop_proof', bodyError: 'invalid_dpop_proof',
    description: 'The DPoP proof is missing, malformed or does not match the request', retryable: false,
  },
  dpop_replayed: {
    httpStatus: 401, grpcCode: UNAUTHENTICATED, challenge: 'invalid_dpop_proof', bodyError: 'invalid_dpop_proof',
    description: 'The DPoP proof was already used', retryable: false,
  },
  dpop_nonce_required: {
    httpStatus: 401, grpcCode: UNAUTHENTICATED, challenge: 'use_dpop_nonce', bodyError: 'use_dpop_nonce',
    description: 'The DPoP proof must carry the nonce in the DPoP-Nonce header', retryable: false,
  },
  dpop_unavailable: unavailable('DPoP proofs cannot be checked now'),
  dpop_required: invalidToken('This resource accepts only DPoP-bound access tokens'),
  token_binding_mismatch: invalidToken('The access token is bound to a key or certificate this request does not prove'),
  introspection_unavailable: unavailable('The token introspection endpoint is unavailable'),
  untrusted_peer: {
    httpStatus: 403, grpcCode: PERMISSION_DENIED, challenge: 'none', bodyError: 'access_denied',
    description: 'This peer may not ask for authorization decisions', retryable: false,
  },
  timeout: unavailable('The authorization check did not complete in time'),
  internal_error: {
    httpStatus: 500, grpcCode: INTERNAL, challenge: 'none', bodyError: 'server_error',
    description: 'The authorization check failed', retryable: false,
  },
});
