/**
 * The HTTP forward-auth front end of the check runner (Envoy http_service,
 * nginx auth_request, ingress-nginx auth-url, Traefik ForwardAuth, Caddy
 * forward_auth): it only translates, like the gRPC one (src/envoy/envoy-check.ts).
 */
import type { FrontEnd } from '../runner/check-input.ts';
import { readForwardAuth, type ForwardAuthRequest, type ForwardAuthSettings } from './forward-auth-request.ts';
import { failedAnswer, httpAnswerFor, type HttpAnswer } from './http-answer.ts';

export function httpAuthzFrontEnd(settings: ForwardAuthSettings): FrontEnd<ForwardAuthRequest, HttpAnswer> {
  return {
    name: 'http',
    read: (request) => readForwardAuth(request, settings),
    answer: (decision, input) => httpAnswerFor(decision, input?.view.method ?? ''),
    failed: failedAnswer,
  };
}
