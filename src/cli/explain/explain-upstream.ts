/**
 * Upstream tokens for `explain`, obtained as serve obtains them in file mode
 * (src/server/upstream-tokens.ts): the token endpoint client and the secret
 * files, no Kubernetes Secrets. The token itself never leaves the decision's
 * upstream credential, which the report shows as redacted; a failure is kept
 * as a note, in the provider's own words (codes and statuses only).
 */
import { ClientSecretResolver } from '../../upstream/client-secret-resolver.ts';
import { TokenEndpointClient } from '../../upstream/token-endpoint-client.ts';
import { UpstreamTokenProvider } from '../../upstream/upstream-token-provider.ts';

const TOKEN_REQUEST_TIMEOUT_MS = 5_000;

export function explainUpstreamTokens(notes: string[]): UpstreamTokenProvider {
  return new UpstreamTokenProvider(
    new TokenEndpointClient({ timeoutMs: TOKEN_REQUEST_TIMEOUT_MS }),
    new ClientSecretResolver(undefined),
    {
      request: (policy, ok, reason) => {
        if (!ok) notes.push(`upstream token for ${policy.id} could not be obtained: ${reason ?? 'unknown'}`);
      },
    },
    { maxWaitMs: TOKEN_REQUEST_TIMEOUT_MS },
  );
}
