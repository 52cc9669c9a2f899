/**
 * The compiled form of a policy's `spec.mcp` (src/policy/compile-mcp.ts):
 * for each request the policy can tell apart, every scope it needs —
 * `requiredScopes` ∪ `methodScopes[method]` ∪ (for `tools/call`)
 * `toolScopes[name]`, else `toolScopes["*"]` — as one list built once, so a
 * check looks the list up instead of building it, and the same list is the
 * `scope=` of its `insufficient_scope` challenge.
 */
import type { McpLabels } from './decision.ts';

/** Where the method and tool name come from: the mirrored headers when trusted, else the body (Auto); only headers; only the body. */
export type McpSource = 'Auto' | 'Headers' | 'Body';

export const TOOLS_CALL = 'tools/call';
/** The label of a method or tool the policy does not name, and of a request that is not a call. */
export const OTHER = 'other';

export interface RuntimeMcp {
  readonly source: McpSource;
  /** `requiredScopes` itself (the same list): a response, or a method the policy does not name. */
  readonly base: readonly string[];
  /** Per method named in `methodScopes`: every scope a call of it needs. */
  readonly methods: ReadonlyMap<string, readonly string[]>;
  /** Per tool named in `toolScopes` (not `*`): every scope a `tools/call` of it needs. */
  readonly tools: ReadonlyMap<string, readonly string[]>;
  /** `tools/call` of a tool not named: with `toolScopes["*"]` if set; `base` itself when neither it nor `methodScopes["tools/call"]` is. */
  readonly otherTool: readonly string[];
}

/** Every scope a call of `method` (with `params.name` = `name`) needs under these rules. */
export function scopesOfCall(mcp: RuntimeMcp, method: string, name: string | undefined): readonly string[] {
  if (method === TOOLS_CALL) return (name === undefined ? undefined : mcp.tools.get(name)) ?? mcp.otherTool;
  return mcp.methods.get(method) ?? mcp.base;
}

/** Label values of a call: the method and tool when the rules name them, else `other` (never request text). */
export function labelsOfCall(mcp: RuntimeMcp, method: string, name: string | undefined): McpLabels {
  const isTool = method === TOOLS_CALL;
  const namedMethod = mcp.methods.has(method) || (isTool && (mcp.tools.size > 0 || mcp.otherTool !== mcp.base));
  return {
    method: namedMethod ? method : OTHER,
    tool: isTool && name !== undefined && mcp.tools.has(name) ? name : OTHER,
  };
}

export const OTHER_LABELS: McpLabels = Object.freeze({ method: OTHER, tool: OTHER });
