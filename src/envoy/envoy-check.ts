/**
 * Envoy's ext_authz front end of the check runner: it only translates.
 * A CheckRequest becomes the runner's `CheckInput` (check-request.ts), the
 * runner's `Decision` becomes a CheckResponse (check-response.ts), and when
 * even that fails the answer is still a complete 500 `internal_error` deny,
 * never an RPC error, which Envoy would turn into an empty 403
 * (docs/contract.md §2.5).
 */
import type { FrontEnd } from '../runner/check-input.ts';
import type { CheckRunner } from '../runner/check-runner.ts';
import type { CallMetadata } from '../tracing/check-tracing.ts';
import { parseCheckRequest } from './check-request.ts';
import type { Decision } from '../core/decision.ts';
import { checkResponseFor, denyResponse, frozen } from './check-response.ts';
import type { CheckRequest, CheckResponse } from './proto.ts';

/** Answers of remembered decisions; gone with the decision. Never a metadata answer (it depends on the method; never remembered). */
const rememberedAnswers = new WeakMap<Decision, CheckResponse>();

export const ENVOY_FRONT_END: FrontEnd<CheckRequest, CheckResponse> = {
  name: 'grpc',
  read(request) {
    // The wire decoder reads only what a check uses (check-request-decoder.ts).
    return parseCheckRequest(request);
  },
  answer: (decision, input) => {
    // A frozen decision is a remembered one (src/core/decision-cache.ts): its answer is built and encoded once.
    if (decision.kind === 'metadata' || !Object.isFrozen(decision)) return checkResponseFor(decision, input?.view.method ?? '');
    let response = rememberedAnswers.get(decision);
    if (response === undefined) {
      response = frozen(checkResponseFor(decision, input?.view.method ?? ''));
      rememberedAnswers.set(decision, response);
    }
    return response;
  },
  failed: () => denyResponse('internal_error', undefined, []),
};

/** The Authorization service's Check method (src/server/grpc-server.ts): always a CheckResponse. */
export class EnvoyCheck {
  readonly #runner: CheckRunner;

  constructor(runner: CheckRunner) {
    this.#runner = runner;
  }

  /** `metadata`: the call's gRPC metadata, where Envoy sends its trace context when it traces. */
  check(request: CheckRequest, metadata?: CallMetadata): Promise<CheckResponse> {
    return this.#runner.run(ENVOY_FRONT_END, request, metadata);
  }
}
