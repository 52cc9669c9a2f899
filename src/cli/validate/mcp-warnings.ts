/**
 * `validate --http-authz`: what serve logs (`mcp_rules_without_body`) when the
 * HTTP front end is on. Proxies that ask it (nginx, Caddy, Traefik) send no
 * request body, so a policy with per-tool scopes whose `source` is not `Body`
 * has its MCP calls read from the mirrored headers alone, and a client that
 * sends none is refused with 400 `unreadable_mcp_request`.
 */
import type { ParsedPolicyDocument } from '../../policy/policy-documents.ts';
import type { PolicyWarning } from './policy-warnings.ts';

function hasRules(scopes: Readonly<Record<string, unknown>> | undefined): boolean {
  return scopes !== undefined && Object.keys(scopes).length > 0;
}

export function mcpFrontEndWarnings(policies: readonly ParsedPolicyDocument[]): PolicyWarning[] {
  const warnings: PolicyWarning[] = [];
  for (const { origin, document } of policies) {
    const mcp = document.spec.mcp;
    if (mcp === undefined || !(hasRules(mcp.methodScopes) || hasRules(mcp.toolScopes))) continue;
    const source = mcp.source ?? 'Auto';
    if (source === 'Body') continue;
    warnings.push({
      origin,
      path: '/spec/mcp',
      message: `per-tool scopes with source ${source} behind the HTTP front end: nginx, Caddy and Traefik send no body, ` +
        'so the MCP call is read from the 2026-07-28 mirrored headers alone (trusting the MCP server to refuse headers ' +
        'that disagree with the body); clients without them get 400 unreadable_mcp_request. ' +
        'Envoy with with_request_body reads the body instead',
    });
  }
  return warnings;
}
