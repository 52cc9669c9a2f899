/**
 * Compiles `spec.mcp` into its runtime form (src/core/mcp-policy.ts): for
 * every method and tool the policy names, the whole list of scopes a call of
 * it needs, `requiredScopes` first, each scope once. A policy whose `mcp`
 * names no method and no tool has no rules: undefined, and no body is read.
 */
import { TOOLS_CALL, type RuntimeMcp } from '../core/mcp-policy.ts';
import type { McpSpec } from './mcp-schema.ts';
import { POLICY_DEFAULTS } from './policy-defaults.ts';

/** Any tool not listed in `toolScopes`. */
export const ANY_TOOL = '*';

function union(...lists: readonly (readonly string[] | undefined)[]): readonly string[] {
  return Object.freeze([...new Set(lists.flatMap((list) => list ?? []))]);
}

export function compileMcp(mcp: McpSpec | undefined, requiredScopes: readonly string[]): RuntimeMcp | undefined {
  // Maps, not the plain objects: `__proto__` or `constructor` may name a method or tool.
  const methodScopes = new Map(Object.entries(mcp?.methodScopes ?? {}));
  const toolScopes = new Map(Object.entries(mcp?.toolScopes ?? {}));
  if (mcp === undefined || (methodScopes.size === 0 && toolScopes.size === 0)) return undefined;
  const toolsCall = methodScopes.get(TOOLS_CALL);
  const anyTool = toolScopes.get(ANY_TOOL);
  toolScopes.delete(ANY_TOOL);
  return Object.freeze({
    source: mcp.source ?? POLICY_DEFAULTS.mcpSource,
    base: requiredScopes,
    methods: new Map([...methodScopes].map(([method, scopes]) => [method, union(requiredScopes, scopes)])),
    tools: new Map([...toolScopes].map(([tool, scopes]) => [tool, union(requiredScopes, toolsCall, scopes)])),
    otherTool: toolsCall === undefined && anyTool === undefined ? requiredScopes : union(requiredScopes, toolsCall, anyTool),
  });
}
