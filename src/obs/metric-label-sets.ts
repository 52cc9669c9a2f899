/**
 * The closed sets some metric labels take their values from: a check's result,
 * the limits whose hits are counted, and the states a policy can be in.
 */
export type CheckResult = 'allowed' | 'denied' | 'error';

/** Limits whose hits are counted (README "Limits"). */
export const LIMITS = [
  'token_size', 'jwks_size', 'jwks_keys', 'policies', 'token_cache', 'upstream_token_cache', 'dpop_replay_cache',
] as const;
export type Limit = (typeof LIMITS)[number];
export const POLICY_STATES = ['accepted', 'rejected', 'conflicted', 'stale', 'unavailable'] as const;
export type PolicyState = (typeof POLICY_STATES)[number];
