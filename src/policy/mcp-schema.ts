/**
 * The schema of `spec.mcp`: scopes an MCP request needs beyond
 * `requiredScopes`, by its JSON-RPC method and, for `tools/call`, by tool.
 * What a schema cannot say of a map key (its length) is in the rule table
 * (src/policy/policy-rules.ts).
 */
import { Type, type Static } from '@sinclair/typebox';
import { scopeList } from './policy-field-schemas.ts';

/** Methods and tools a policy names at most, and the longest name (MCP's naming rules allow tool names of 128 characters). */
export const MCP_LIMITS = { methods: 64, tools: 256, nameLength: 128 } as const;

export const McpSchema = Type.Object({
  methodScopes: Type.Optional(Type.Record(Type.String(), scopeList('Scopes a call of this JSON-RPC method needs.'), {
    maxProperties: MCP_LIMITS.methods,
    description: 'JSON-RPC method (`resources/read`, `prompts/get`, `tools/call`, …) → scopes a request of it needs ' +
      `in addition to \`requiredScopes\`. ` +
      `At most ${String(MCP_LIMITS.methods)} methods of 1 to ${String(MCP_LIMITS.nameLength)} characters.`,
  })),
  toolScopes: Type.Optional(Type.Record(Type.String(), scopeList('Scopes a `tools/call` of this tool needs.'), {
    maxProperties: MCP_LIMITS.tools,
    description: '`tools/call` by `params.name` → scopes it needs in addition to `requiredScopes` (and `methodScopes["tools/call"]`); ' +
      '`"*"`: any tool not listed. ' +
      `At most ${String(MCP_LIMITS.tools)} tools of 1 to ${String(MCP_LIMITS.nameLength)} characters.`,
  })),
  source: Type.Optional(Type.Union([Type.Literal('Auto'), Type.Literal('Headers'), Type.Literal('Body')], {
    default: 'Auto',
    description: 'Where the method and tool are read: Auto = the MCP mirrored headers (`Mcp-Method`, `Mcp-Name`) when ' +
      '`MCP-Protocol-Version` is 2026-07-28 or later, else the JSON-RPC body; Headers = only such headers; Body = only the body ' +
      '(for MCP servers that do not check that the headers agree with the body). Unreadable: 400 unreadable_mcp_request.',
  })),
}, {
  additionalProperties: false,
  description: 'Per-method and per-tool scopes for MCP Streamable HTTP. With at least one rule, a POST whose method or tool ' +
    'cannot be read with certainty is denied (400 unreadable_mcp_request); GET and DELETE need only `requiredScopes`.',
});

export type McpSpec = Static<typeof McpSchema>;
