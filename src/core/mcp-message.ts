/**
 * Reads a JSON-RPC 2.0 message (an MCP Streamable HTTP `POST` body) the way
 * the MCP server's `JSON.parse` reads it: the whole document must be valid
 * JSON, but only `jsonrpc`, `id`, `method`, `params.name` and `params.uri`
 * are materialised (src/core/json-value.ts walks the rest without building it).
 *
 * Where a reader and the server could see different methods or names, the
 * message is unreadable: a member among WATCHED that appears twice in one
 * object (`JSON.parse` keeps the last, other parsers the first) or whose name
 * is spelled with an escape (`"met\u0068od"`), at the top level or in
 * `params`. A batch (a top-level array) is unreadable too: one check cannot
 * stand for several calls. Pure; never throws.
 */
import { scanString, skipWhitespace } from './json-scanner.ts';
import { scanObject, scanValue, type OnMember } from './json-value.ts';

export type McpMessage =
  /** A request or a notification; `name` and `uri` are `params.name` and `params.uri` when they are strings. */
  | { readonly kind: 'request'; readonly method: string; readonly name: string | undefined; readonly uri: string | undefined }
  /** A response (`id` with `result` or `error`, no `method`): how a client answers a server's request. */
  | { readonly kind: 'response' }
  | { readonly kind: 'unreadable' };

export const UNREADABLE: McpMessage = Object.freeze({ kind: 'unreadable' });

const WATCHED = new Set(['jsonrpc', 'id', 'method', 'params', 'name', 'uri', 'result', 'error']);
/** A value the reader saw but did not need: present, of no kind it reads. */
const OTHER = Symbol('other');

// Invalid UTF-8 is unreadable, and a byte order mark stays in (JSON.parse refuses it).
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Scans the value at `at`; `found` gets the string it is, or OTHER. Returns the position after it, or -1. */
function scanStringValue(text: string, at: number, found: (value: string | typeof OTHER) => void): number {
  if (text.charCodeAt(at) !== 0x22) {
    found(OTHER);
    return scanValue(text, at);
  }
  const end = scanString(text, at);
  if (end >= 0) found(JSON.parse(text.slice(at, end)) as string);
  return end;
}

interface Members {
  jsonrpc?: string | typeof OTHER;
  method?: string | typeof OTHER;
  id?: 'string' | 'number' | 'null' | typeof OTHER;
  params?: 'object' | typeof OTHER;
  name?: string | typeof OTHER;
  uri?: string | typeof OTHER;
  result?: true;
  error?: true;
}

function idKind(text: string, at: number): NonNullable<Members['id']> {
  const code = text.charCodeAt(at);
  if (code === 0x22) return 'string';
  if (code === 0x2d || (code >= 0x30 && code <= 0x39)) return 'number';
  return text.startsWith('null', at) ? 'null' : OTHER;
}

function readMembers(text: string): Members | undefined {
  const members: Members = {};
  const onParam: OnMember = (name, at) => {
    if (name === 'name') return scanStringValue(text, at, (value) => { members.name = value; });
    if (name === 'uri') return scanStringValue(text, at, (value) => { members.uri = value; });
    return scanValue(text, at);
  };
  const onMember: OnMember = (name, at) => {
    if (name === 'jsonrpc') return scanStringValue(text, at, (value) => { members.jsonrpc = value; });
    if (name === 'method') return scanStringValue(text, at, (value) => { members.method = value; });
    if (name === 'params') {
      members.params = text.charCodeAt(at) === 0x7b ? 'object' : OTHER;
      return members.params === 'object' ? scanObject(text, at, WATCHED, onParam) : scanValue(text, at);
    }
    if (name === 'id') members.id = idKind(text, at);
    else if (name === 'result') members.result = true;
    else if (name === 'error') members.error = true;
    // Any other member (a top-level name or uri included): its syntax only.
    return scanValue(text, at);
  };
  const end = scanObject(text, 0, WATCHED, onMember);
  return end >= 0 && skipWhitespace(text, end) === text.length ? members : undefined;
}

function classify(members: Members): McpMessage {
  if (members.jsonrpc !== '2.0') return UNREADABLE;
  const { method, id, params, result, error } = members;
  if (method !== undefined) {
    // A request (with an id) or a notification (without); never with a response's members.
    if (method === OTHER || result === true || error === true) return UNREADABLE;
    if (id !== undefined && id !== 'string' && id !== 'number') return UNREADABLE;
    if (params === OTHER) return UNREADABLE;
    const name = typeof members.name === 'string' ? members.name : undefined;
    const uri = typeof members.uri === 'string' ? members.uri : undefined;
    return { kind: 'request', method, name, uri };
  }
  // A response: an id, and exactly one of result and error (`id: null` only with an error).
  if (params !== undefined || result === error) return UNREADABLE;
  if (id === 'string' || id === 'number' || (id === 'null' && error === true)) return { kind: 'response' };
  return UNREADABLE;
}

/** The JSON-RPC message of a request body, or UNREADABLE. */
export function readMcpMessage(body: Uint8Array): McpMessage {
  let text: string;
  try {
    text = UTF8.decode(body);
  } catch {
    return UNREADABLE;
  }
  const members = readMembers(text);
  return members === undefined ? UNREADABLE : classify(members);
}
