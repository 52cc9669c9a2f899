/**
 * Which MCP call a request is, for a policy with `spec.mcp` rules: its
 * JSON-RPC method and tool name, read from the trusted mirrored headers
 * (src/core/mcp-headers.ts) or the body (src/core/mcp-message.ts) as the
 * policy's `source` says. Whatever cannot be read with certainty is
 * `unreadable` (a deny), never a guess:
 *
 * * `Auto`: trusted headers when there are some, else the body;
 *   `Headers`: trusted headers are required; `Body`: headers are ignored.
 * * Trusted headers and a body that was also sent must agree (method, and
 *   the name of `tools/call` and `prompts/get` or the uri of
 *   `resources/read`), or neither is believed.
 * * A partial body, one over the size limit, no body where one is needed, a
 *   `tools/call` without a tool name: unreadable.
 *
 * Only `POST` carries a message: `GET`, `HEAD` and `DELETE` (the SSE stream
 * and the end of a session) are no call at all. Pure; never throws.
 */
import { readMirroredHeaders, type MirroredHeaders } from './mcp-headers.ts';
import { readMcpMessage, type McpMessage } from './mcp-message.ts';
import { TOOLS_CALL, type McpSource } from './mcp-policy.ts';
import type { RequestExtras } from './request-extras.ts';

/** The default `--max-body-bytes`: longer bodies are unreadable. */
export const DEFAULT_MAX_BODY_BYTES = 65_536;

export type McpRequest =
  | { readonly kind: 'no_message' }
  | { readonly kind: 'response' }
  | { readonly kind: 'call'; readonly method: string; readonly name: string | undefined }
  | { readonly kind: 'unreadable' };

const NO_MESSAGE: McpRequest = Object.freeze({ kind: 'no_message' });
const RESPONSE: McpRequest = Object.freeze({ kind: 'response' });
const UNREADABLE: McpRequest = Object.freeze({ kind: 'unreadable' });

const WITHOUT_MESSAGE = new Set(['GET', 'HEAD', 'DELETE']);
/** The methods whose mirrored `Mcp-Name` is a member of `params`, and which member. */
const NAMED_BY: ReadonlyMap<string, 'name' | 'uri'> = new Map([[TOOLS_CALL, 'name'], ['prompts/get', 'name'], ['resources/read', 'uri']]);

function call(method: string, name: string | undefined): McpRequest {
  // The tool decides the scopes of a tools/call: without its name nothing can be decided.
  return method === TOOLS_CALL && name === undefined ? UNREADABLE : { kind: 'call', method, name };
}

/** Whether trusted headers say what the body says (a response has no method and no name). */
function agree(headers: Extract<MirroredHeaders, { kind: 'trusted' }>, message: Exclude<McpMessage, { kind: 'unreadable' }>): boolean {
  if (message.kind === 'response') return headers.method === undefined && headers.name === undefined;
  const member = NAMED_BY.get(message.method);
  const name = member === undefined ? undefined : message[member];
  return headers.method === message.method && headers.name === name;
}

export function readMcpRequest(source: McpSource, httpMethod: string, extras: RequestExtras, maxBodyBytes: number): McpRequest {
  if (WITHOUT_MESSAGE.has(httpMethod)) return NO_MESSAGE;
  const headers: MirroredHeaders = source === 'Body' ? { kind: 'untrusted' } : readMirroredHeaders(extras.mcpHeaders);
  if (headers.kind === 'invalid' || (source === 'Headers' && headers.kind !== 'trusted')) return UNREADABLE;
  // Envoy flags a body cut at its max_request_bytes: what is missing could hold anything.
  if (extras.bodyPartial === true) return UNREADABLE;
  const { body } = extras;
  if (body === undefined || body.length === 0) {
    return headers.kind === 'trusted' && headers.method !== undefined ? call(headers.method, headers.name) : UNREADABLE;
  }
  if (body.length > maxBodyBytes) return UNREADABLE;
  const message = readMcpMessage(body);
  if (message.kind === 'unreadable') return UNREADABLE;
  if (headers.kind === 'trusted' && !agree(headers, message)) return UNREADABLE;
  return message.kind === 'response' ? RESPONSE : call(message.method, message.name);
}
