/**
 * How Envoy's ext_authz filter applies a CheckResponse (read from Envoy's
 * source; the Envoy stand-in uses it):
 *
 * - no response (the RPC failed: error, deadline, unavailable) → with
 *   `failure_mode_allow: false`, a local reply with `status_on_error` (403)
 *   and an EMPTY body;
 * - `status.code` not 0 → deny: a local reply with `denied_response.status`
 *   (403 when unset), its headers and its body;
 * - `status.code` 0 or missing (an empty response allows) → the request goes
 *   on: header sets/appends first, then `headers_to_remove` (so removing a
 *   header that was also set drops the new value too; `:`-headers and `host`
 *   cannot be removed), then `query_parameters_to_remove` rewrites `:path`.
 */
export interface HeaderValueOptionShape {
  header?: { key?: string; value?: string };
  append?: { value?: boolean };
  append_action?: number | string;
}

export interface CheckResponseShape {
  status?: { code?: number };
  denied_response?: { status?: { code?: number }; headers?: HeaderValueOptionShape[]; body?: string };
  ok_response?: { headers?: HeaderValueOptionShape[]; headers_to_remove?: string[]; query_parameters_to_remove?: string[] };
}

export type CheckOutcome =
  | { kind: 'reply'; status: number; headers: Record<string, string>; body: string }
  | { kind: 'forward'; headers: Record<string, string> };

const STATUS_ON_ERROR = 403;
// envoy.config.core.v3.HeaderValueOption.HeaderAppendAction
const OVERWRITE_IF_EXISTS_OR_ADD = 2;

function overwrites(option: HeaderValueOptionShape): boolean {
  if (option.append_action === OVERWRITE_IF_EXISTS_OR_ADD || option.append_action === 'OVERWRITE_IF_EXISTS_OR_ADD') return true;
  return option.append?.value === false;
}

function removeQueryParameters(path: string, names: readonly string[]): string {
  const at = path.indexOf('?');
  if (at < 0 || names.length === 0) return path;
  const kept = path.slice(at + 1).split('&').filter((pair) => {
    const name = decodeURIComponent((pair.split('=', 1)[0] ?? '').replace(/\+/g, ' '));
    return !names.includes(name);
  });
  return kept.length === 0 ? path.slice(0, at) : `${path.slice(0, at)}?${kept.join('&')}`;
}

export function applyCheckResponse(response: CheckResponseShape | undefined, requestHeaders: Readonly<Record<string, string>>): CheckOutcome {
  if (response === undefined) return { kind: 'reply', status: STATUS_ON_ERROR, headers: {}, body: '' };
  if ((response.status?.code ?? 0) !== 0) {
    const denied = response.denied_response;
    const headers: Record<string, string> = {};
    for (const option of denied?.headers ?? []) {
      const key = option.header?.key?.toLowerCase();
      if (key !== undefined) headers[key] = option.header?.value ?? '';
    }
    const code = denied?.status?.code ?? 0;
    return { kind: 'reply', status: code === 0 ? STATUS_ON_ERROR : code, headers, body: denied?.body ?? '' };
  }
  const headers = { ...requestHeaders };
  const ok = response.ok_response;
  for (const option of ok?.headers ?? []) {
    const key = option.header?.key?.toLowerCase();
    if (key === undefined) continue;
    const value = option.header?.value ?? '';
    const current = headers[key];
    headers[key] = overwrites(option) || current === undefined ? value : `${current},${value}`;
  }
  for (const name of ok?.headers_to_remove ?? []) {
    const key = name.toLowerCase();
    if (!key.startsWith(':') && key !== 'host') Reflect.deleteProperty(headers, key);
  }
  headers[':path'] = removeQueryParameters(headers[':path'] ?? '/', ok?.query_parameters_to_remove ?? []);
  return { kind: 'forward', headers };
}
