/**
 * `WWW-Authenticate` challenges (docs/contract.md §2.5; RFC 6750 §3, RFC 9728
 * §5.1, MCP authorization). Each auth-param appears at most once; values are
 * quoted strings built only from configuration and the fixed description table,
 * so no request or token content can reach a header. `offline_access` is never
 * named in a challenge (src/core/scopes.ts).
 */
import { REASON_TABLE, type Reason } from './reasons.ts';
import { advertisedScopes } from './scopes.ts';

function quoted(value: string): string {
  // Descriptions are fixed ASCII without `"` or `\`; metadata URLs and scopes come
  // from validated configuration. Escape anyway so a future table entry cannot break the header.
  return `"${value.replace(/["\\]/g, (character) => `\\${character}`)}"`;
}

/** The challenge for a deny, or `undefined` when the reason carries none. */
export function wwwAuthenticate(reason: Reason, metadataUrl: string | undefined, scopes: readonly string[]): string | undefined {
  const spec = REASON_TABLE[reason];
  if (spec.challenge === 'none' || metadataUrl === undefined) return undefined;
  const scope = advertisedScopes(scopes).join(' ');
  const params: string[] = [];
  if (spec.challenge !== 'no_error') {
    params.push(`error=${quoted(spec.challenge)}`);
    if (spec.challenge === 'insufficient_scope' && scope !== '') params.push(`scope=${quoted(scope)}`);
    params.push(`error_description=${quoted(spec.description)}`);
  }
  params.push(`resource_metadata=${quoted(metadataUrl)}`);
  if (spec.challenge === 'no_error' && scope !== '') params.push(`scope=${quoted(scope)}`);
  return `Bearer ${params.join(', ')}`;
}
