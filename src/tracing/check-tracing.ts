/**
 * What the check runner needs from tracing, as types only: this file loads
 * nothing of OpenTelemetry, so the runner does not either. When tracing is
 * off the runner has no `CheckTracing` at all — no tracer is asked, no span
 * object is made, no context is entered (README "Tracing"). When it is on,
 * src/tracing/check-spans.ts is the implementation.
 */
import type { Decision } from '../core/decision.ts';
import type { RequestExtras } from '../core/request-extras.ts';
import type { Frontend } from '../runner/check-input.ts';

/**
 * The trace context the call itself carries, apart from the request it asks
 * about: gRPC metadata (grpc-js `Metadata` fits as it is). Envoy puts its
 * ext_authz span there when it traces.
 */
export interface CallMetadata {
  get(key: string): readonly (string | Buffer)[];
}

/** The ids a `token_rejected` line carries so it leads to its trace (W3C trace-context hex). */
export interface TraceLogFields {
  readonly trace_id: string;
  readonly span_id: string;
}

/** The span of one check, from its start to its answer. */
export interface CheckSpan {
  /** Runs `work` with this span as the active context, so outbound requests become its children. */
  within<T>(work: () => Promise<T>): Promise<T>;
  /** Set when the span is sampled (a trace a collector will have); otherwise undefined. */
  readonly logFields: TraceLogFields | undefined;
  /** Sets the decision's attributes and ends the span. Called once; never throws. */
  end(decision: Decision): void;
}

/** Neither method ever throws: tracing never decides a check nor stops its answer. */
export interface CheckTracing {
  /**
   * Starts the span of a check that began at `startedAt` (a `performance.now()`
   * reading). Its parent is the trace in `call` when there is one, else the
   * one in the request's trace headers (`extras`, undefined when the request
   * could not be read), else none.
   */
  start(frontEnd: Frontend, startedAt: number, call: CallMetadata | undefined, extras: RequestExtras | undefined): CheckSpan;
}
