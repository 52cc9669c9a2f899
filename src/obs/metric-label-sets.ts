/**
 * The closed sets some metric labels take their values from: a check's result,
 * the limits whose hits are counted, and the states a policy can be in.
 */
export type CheckResult = 'allowed' | 'denied' | 'error';

/** How the check of an MCP call ended: allowed, missing a scope, unreadable, or denied by a later step. */
export type McpCheckResult = 'allowed' | 'insufficient_scope' | 'unreadable' | 'denied';

/** Limits whose hits are counted (README "Limits"). */
export const LIMITS = [
  'token_size', 'jwks_size', 'jwks_keys', 'policies', 'token_cache', 'upstream_token_cache', 'introspection_cache',
  'dpop_replay_cache',
] as const;
export type Limit = (typeof LIMITS)[number];
/** Outcomes of a token introspection request (`rejected_busy`: not sent, the endpoint had too many in flight). */
export const INTROSPECTION_RESULTS = ['active', 'inactive', 'failure', 'rejected_busy'] as const;
export type IntrospectionResultLabel = (typeof INTROSPECTION_RESULTS)[number];
export const POLICY_STATES = ['accepted', 'rejected', 'conflicted', 'stale', 'unavailable'] as const;
export type PolicyState = (typeof POLICY_STATES)[number];
