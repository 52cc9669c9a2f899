/**
 * A decision as a forward-auth HTTP answer, built from the very CheckResponse
 * the gRPC front end sends (src/envoy/check-response.ts), so both transports
 * answer alike by construction:
 *   - a deny, and the RFC 9728 metadata document, are Envoy's local reply —
 *     status, headers and body — sent as they are;
 *   - an allow is `200` with no body: the upstream credential (when the
 *     policy has one) as a header for the proxy to copy to the upstream
 *     request, and `x-envoy-auth-headers-to-remove` naming the client's
 *     credentials for Envoy's http_service to remove (the other proxies strip
 *     them by their own configuration). A header that is set is never also
 *     named for removal: Envoy removes after it sets, and would drop it.
 */
import type { Decision } from '../core/decision.ts';
import { checkResponseFor, denyResponse } from '../envoy/check-response.ts';
import type { CheckResponse, HeaderValueOption } from '../envoy/proto.ts';

export interface HttpAnswer {
  readonly status: number;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export const HEADERS_TO_REMOVE = 'x-envoy-auth-headers-to-remove';

/** Credentials of the client no upstream may see, besides what the CheckResponse removes. */
const CLIENT_CREDENTIALS = ['authorization', 'dpop'];

function headersOf(options: readonly HeaderValueOption[] | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const option of options ?? []) {
    const key = option.header?.key?.toLowerCase();
    if (key !== undefined && option.header?.value !== undefined) headers[key] = option.header.value;
  }
  return headers;
}

export function httpAnswerOf(response: CheckResponse): HttpAnswer {
  const denied = response.denied_response;
  if (denied !== undefined) {
    return { status: denied.status?.code ?? 403, headers: headersOf(denied.headers), body: denied.body ?? '' };
  }
  if (response.status?.code !== 0) return failedAnswer();
  const headers = headersOf(response.ok_response?.headers);
  const named = [...(response.ok_response?.headers_to_remove ?? []), ...CLIENT_CREDENTIALS].map((name) => name.toLowerCase());
  const removed = [...new Set(named)].filter((name) => headers[name] === undefined);
  return { status: 200, headers: { ...headers, [HEADERS_TO_REMOVE]: removed.join(', ') }, body: '' };
}

/** `method` is the original request's (HEAD gets the metadata document's headers without its body). */
export function httpAnswerFor(decision: Decision, method: string): HttpAnswer {
  return httpAnswerOf(checkResponseFor(decision, method));
}

/** The complete 500 `internal_error` deny, when nothing else could be answered. */
export function failedAnswer(): HttpAnswer {
  const denied = denyResponse('internal_error', undefined, []).denied_response;
  return { status: denied?.status?.code ?? 500, headers: headersOf(denied?.headers), body: denied?.body ?? '' };
}
