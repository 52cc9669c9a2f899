/**
 * The scopes step's input (docs/contract.md §2.6, "Per-tool scopes"): the
 * scopes this request needs, after reading which MCP call it is when the
 * policy has `spec.mcp` rules, and the call's label values. Called after the
 * token verified, so a request without a token still gets its 401 discovery
 * challenge first, and an unauthenticated client never makes the service
 * read a body.
 */
import type { McpLabels } from './decision.ts';
import { labelsOfCall, OTHER_LABELS, scopesOfCall } from './mcp-policy.ts';
import { DEFAULT_MAX_BODY_BYTES, readMcpRequest } from './mcp-request.ts';
import type { RequestExtras } from './request-extras.ts';
import type { RuntimePolicy } from './runtime-policy.ts';

export type RequestScopes =
  /** Every scope the request needs (also the `scope=` of its challenge); `mcp` set when a message was read. */
  | { readonly kind: 'scopes'; readonly required: readonly string[]; readonly mcp: McpLabels | undefined }
  /** The policy has `mcp` rules and which call this is cannot be read with certainty: `unreadable_mcp_request`. */
  | { readonly kind: 'unreadable'; readonly mcp: McpLabels };

export function requestScopes(
  policy: RuntimePolicy,
  httpMethod: string,
  extras: RequestExtras,
  maxBodyBytes: number = DEFAULT_MAX_BODY_BYTES,
): RequestScopes {
  const rules = policy.mcp;
  if (rules === undefined) return { kind: 'scopes', required: policy.requiredScopes, mcp: undefined };
  const read = readMcpRequest(rules.source, httpMethod, extras, maxBodyBytes);
  switch (read.kind) {
    case 'no_message': return { kind: 'scopes', required: policy.requiredScopes, mcp: undefined };
    case 'response': return { kind: 'scopes', required: policy.requiredScopes, mcp: OTHER_LABELS };
    case 'unreadable': return { kind: 'unreadable', mcp: OTHER_LABELS };
    case 'call': {
      const { method, name } = read;
      return { kind: 'scopes', required: scopesOfCall(rules, method, name), mcp: labelsOfCall(rules, method, name) };
    }
  }
}
