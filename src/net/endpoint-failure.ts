/**
 * How the service reaches the endpoints a policy names (issuer discovery,
 * JWKS, token endpoints), and how a failure to reach one is told. The words
 * are fixed — `timeout`, `unreachable`, `refused: …`, `bad answer (…)` — because these messages
 * go to policy status and logs, which the policy's author reads: the network
 * stack's own text names resolved addresses ("connect ECONNREFUSED
 * 10.0.3.7:443", "attempted addresses: …") and would map a cluster's
 * internals for whoever can write a policy.
 */

/** A fetch for policy endpoints: the global one, or the guarded one of Kubernetes mode (src/net/endpoint-guard.ts). */
export type EndpointFetch = (url: string, init: RequestInit) => Promise<Response>;

/** What the endpoint guard refused, in words safe for any reader. */
export type RefusalReason = 'address not allowed' | 'https required';

/** A connection the endpoint guard would not make. */
export class EndpointRefusedError extends Error {
  override readonly name = 'EndpointRefusedError';
  constructor(reason: RefusalReason) {
    super(`refused: ${reason}`);
  }
}

/** The refusal somewhere in `error`'s cause chain (fetch and openid-client wrap errors), as its message. */
export function refusalIn(error: unknown): string | undefined {
  let current = error;
  for (let depth = 0; depth < 8 && current instanceof Error; depth += 1) {
    if (current instanceof EndpointRefusedError) return current.message;
    current = current.cause;
  }
  return undefined;
}

/**
 * The description of a request that got no answer (its caller tells a
 * `timeout` apart): `refused: …` when the guard would not connect, otherwise
 * `unreachable` — name not found, connection refused or reset, TLS failed,
 * all alike, so a status message is no port scanner.
 */
export function endpointFailure(error: unknown): string {
  return refusalIn(error) ?? 'unreachable';
}
