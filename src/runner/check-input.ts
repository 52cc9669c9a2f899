/**
 * The seam between a front end (a protocol a proxy asks us in) and the check
 * runner. A front end reads its own request into a `CheckInput` and turns the
 * runner's `Decision` into its own answer; the runner does everything in
 * between — snapshot, decision, timeout, metrics, security log — the same way
 * for every front end. Envoy's ext_authz gRPC is src/envoy/envoy-check.ts, the
 * HTTP forward-auth front end src/http-authz/http-authz-front-end.ts.
 */
import type { Decision } from '../core/decision.ts';
import type { HttpRequestView } from '../core/http-request.ts';
import type { Reason } from '../core/reasons.ts';
import type { RequestExtras } from '../core/request-extras.ts';

/** The front ends, a closed set (metric labels may come only from closed sets). */
export type Frontend = 'grpc' | 'http';

/** Request attributes for log lines; never includes headers that carry credentials. Clipped by the front end. */
export interface RequestLogFields {
  readonly request_id: string | undefined;
  readonly host: string;
  readonly method: string;
  readonly path: string;
  readonly source: string | undefined;
}

/** One request as the runner sees it, whatever protocol it came in. */
export interface CheckInput {
  /** What decide() reads. */
  readonly view: HttpRequestView;
  /** What some steps will read (src/core/request-extras.ts); `NO_EXTRAS` when the protocol carries none. */
  readonly extras: RequestExtras;
  readonly log: RequestLogFields;
}

/**
 * A request the front end refuses before any decision — a peer it does not
 * trust, proxy headers that contradict each other: the check is a deny for
 * `refused` with no policy, recorded like every other.
 */
export interface RefusedInput {
  readonly refused: Extract<Reason, 'invalid_request' | 'untrusted_peer'>;
  readonly log: RequestLogFields | undefined;
}

export interface FrontEnd<Request, Response> {
  readonly name: Frontend;
  /** The request as a `CheckInput`, or refused. May throw: the check is then an `internal_error` deny. */
  read(request: Request): CheckInput | RefusedInput;
  /**
   * The answer for `decision`; `input` is undefined when `read` threw. Every
   * deny must be a complete answer of the protocol (status, headers, body),
   * never an error of the transport. May throw: the answer is then `failed()`.
   */
  answer(decision: Decision, input: CheckInput | undefined): Response;
  /** A complete `internal_error` deny that needs nothing: the answer when all else failed. */
  failed(): Response;
}
