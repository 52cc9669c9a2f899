/**
 * Child spans for the work that leaves the process. Every request to an
 * endpoint a policy names — discovery, JWKS, token endpoints, introspection —
 * goes through the one `EndpointFetch` the service hands around
 * (src/server/tenant-access.ts); with tracing on it is wrapped here, so each
 * request made while a check's span records becomes a CLIENT span under it,
 * with the method, the server, the URL without its query, and
 * `http.response.status_code` (or `error.type` when no answer came).
 *
 * Requests outside any check (the policy load's key fetches, background
 * refreshes) and after the check's span ended get no span: they are no part
 * of a check's trace. Nothing of the request or answer body is recorded, and
 * no trace header is sent: the endpoints are third parties, named by tenants.
 */
import { SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE, ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT, ATTR_URL_FULL,
} from '@opentelemetry/semantic-conventions';
import { refusalIn, type EndpointFetch } from '../net/endpoint-failure.ts';
import type { ActiveContext } from './active-context.ts';

/** Why no answer came, a closed set (the span's `error.type`). */
function failureType(error: unknown): string {
  if (refusalIn(error) !== undefined) return 'refused';
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'timeout';
  return 'unreachable';
}

function defaultPort(protocol: string): number {
  return protocol === 'https:' ? 443 : 80;
}

/** `fetcher` with a child span per request made inside a recording check span; undefined: the global fetch, looked up at each call. */
export function tracedFetch(tracer: Tracer, active: ActiveContext, fetcher: EndpointFetch | undefined): EndpointFetch {
  return async (url, init) => {
    const send = fetcher ?? fetch;
    const parent = active.current();
    if (parent === undefined || trace.getSpan(parent)?.isRecording() !== true) return send(url, init);
    const target = new URL(url);
    const method = (init.method ?? 'GET').toUpperCase();
    const span = tracer.startSpan(method, {
      kind: SpanKind.CLIENT,
      attributes: {
        [ATTR_HTTP_REQUEST_METHOD]: method,
        [ATTR_SERVER_ADDRESS]: target.hostname,
        [ATTR_SERVER_PORT]: target.port === '' ? defaultPort(target.protocol) : Number(target.port),
        [ATTR_URL_FULL]: `${target.origin}${target.pathname}`,
      },
    }, parent);
    try {
      const response = await send(url, init);
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, response.status);
      if (response.status >= 400) {
        span.setAttribute(ATTR_ERROR_TYPE, String(response.status));
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      return response;
    } catch (error) {
      span.setAttribute(ATTR_ERROR_TYPE, failureType(error));
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  };
}
