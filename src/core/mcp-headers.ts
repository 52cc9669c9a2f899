/**
 * The MCP mirrored headers (MCP 2026-07-28, SEP-2243): `Mcp-Method` carries
 * the JSON-RPC method of a `POST`, `Mcp-Name` its `params.name` (or
 * `params.uri` for `resources/read`); a value that is not plain ASCII is sent
 * as `=?base64?<base64 of its UTF-8>?=`. Clients of earlier protocol
 * versions send no such headers, and servers of earlier versions never check
 * them against the body, so they are trusted only with an
 * `MCP-Protocol-Version` of 2026-07-28 or later. Pure; never throws.
 */

/** The first protocol version whose servers refuse a request whose mirrored headers disagree with its body. */
export const MIRRORED_HEADERS_SINCE = '2026-07-28';

export type MirroredHeaders =
  /** No protocol version, an earlier one, or not a date: the headers say nothing. */
  | { readonly kind: 'untrusted' }
  /** Trusted, but a value cannot be decoded (bad base64, bad UTF-8, a repeated header): nothing can be read. */
  | { readonly kind: 'invalid' }
  | { readonly kind: 'trusted'; readonly method: string | undefined; readonly name: string | undefined };

const UNTRUSTED: MirroredHeaders = Object.freeze({ kind: 'untrusted' });
const INVALID: MirroredHeaders = Object.freeze({ kind: 'invalid' });

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Whether an `MCP-Protocol-Version` value is a calendar date (YYYY-MM-DD) on or after 2026-07-28. */
export function mirroredHeadersTrusted(version: string | undefined): boolean {
  const match = version === undefined ? null : DATE.exec(version);
  if (match === null) return false; // absent, repeated ("a,b"), or not a version at all
  const [, , month, day] = match.map(Number);
  if (month === undefined || day === undefined || month < 1 || month > 12 || day < 1 || day > 31) return false;
  // Zero-padded YYYY-MM-DD strings order as the dates do.
  return (version as string) >= MIRRORED_HEADERS_SINCE;
}

const ENCODED = /^=\?base64\?([A-Za-z0-9+/]*={0,2})\?=$/i;
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A mirrored header's value: decoded when `=?base64?…?=` (strict: canonical
 * padded base64 of valid UTF-8), as sent otherwise; undefined when it starts
 * like an encoded value but is not one (never read as plain text).
 */
export function decodeMirroredValue(value: string): string | undefined {
  if (!value.startsWith('=?')) return value;
  const payload = ENCODED.exec(value)?.[1];
  if (payload?.length === undefined || payload.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(payload, 'base64');
  if (bytes.toString('base64') !== payload) return undefined; // non-canonical: stray bits or misplaced padding
  try {
    return UTF8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** The mirrored headers of a request (names lower-case, as RequestExtras.mcpHeaders holds them). */
export function readMirroredHeaders(headers: Readonly<Record<string, string>> | undefined): MirroredHeaders {
  if (headers === undefined || !mirroredHeadersTrusted(headers['mcp-protocol-version'])) return UNTRUSTED;
  const rawMethod = headers['mcp-method'];
  const rawName = headers['mcp-name'];
  const method = rawMethod === undefined ? undefined : decodeMirroredValue(rawMethod);
  const name = rawName === undefined ? undefined : decodeMirroredValue(rawName);
  if ((rawMethod !== undefined && (method === undefined || method === '')) || (rawName !== undefined && name === undefined)) return INVALID;
  // A proxy joins a repeated header with ","; no method name has one, nor a tool name the MCP naming rules allow.
  if (rawMethod?.includes(',') === true) return INVALID;
  if (method === 'tools/call' && rawName?.includes(',') === true && !rawName.startsWith('=?')) return INVALID;
  return { kind: 'trusted', method, name };
}
