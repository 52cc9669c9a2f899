/**
 * How the decision core gets a separately acquired upstream token
 * (docs/contract.md §2.8) without doing I/O itself. Implemented by
 * src/upstream/. The client's token is handed over only as the RFC 8693 subject
 * token; it is never the upstream credential.
 */
import type { RuntimePolicy } from './runtime-policy.ts';

export type UpstreamTokenResult =
  | { readonly kind: 'token'; readonly accessToken: string }
  | { readonly kind: 'unavailable' };

export interface UpstreamTokenSource {
  /**
   * A token for `policy.upstream`. `clientToken` is the validated client
   * token, `clientExpiresAt` its `exp` (seconds): an exchanged token is never
   * cached past it.
   */
  tokenFor(policy: RuntimePolicy, clientToken: string, clientExpiresAt: number): Promise<UpstreamTokenResult>;
}
