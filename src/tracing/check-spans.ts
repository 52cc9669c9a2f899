/**
 * The span of every check: `audience-guard.check`, kind SERVER, under the
 * trace Envoy propagated (trace-parent.ts). Its attributes come from
 * configuration and closed sets only — the policy's `namespace/name`, the
 * decision, the reason and whether it was enforced, the front end, the MCP
 * method and tool as label values (a name the policy mentions, or `other`) —
 * never from the token or other request content. The span's status is ERROR
 * only for the 5xx reasons (a failure of the service, not a verdict).
 */
import { SpanKind, SpanStatusCode, trace, TraceFlags, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { Decision } from '../core/decision.ts';
import { REASON_TABLE } from '../core/reasons.ts';
import type { RequestExtras } from '../core/request-extras.ts';
import type { Frontend } from '../runner/check-input.ts';
import type { ActiveContext } from './active-context.ts';
import type { CallMetadata, CheckSpan, CheckTracing, TraceLogFields } from './check-tracing.ts';
import { checkParent } from './trace-parent.ts';

export const CHECK_SPAN_NAME = 'audience-guard.check';

/** The span attributes, one place for their names (README "Tracing" lists them). */
export const CHECK_ATTRIBUTES = {
  frontEnd: 'audience_guard.front_end',
  traceParent: 'audience_guard.trace_parent',
  policy: 'audience_guard.policy',
  decision: 'audience_guard.decision',
  reason: 'audience_guard.reason',
  enforced: 'audience_guard.enforced',
  mcpMethod: 'audience_guard.mcp.method',
  mcpTool: 'audience_guard.mcp.tool',
} as const;

/** The decision as span attributes: configuration and closed sets only. */
export function decisionAttributes(decision: Decision): Attributes {
  const attributes: Attributes = { [CHECK_ATTRIBUTES.decision]: decision.kind };
  if (decision.policy !== undefined) attributes[CHECK_ATTRIBUTES.policy] = decision.policy.id;
  if (decision.kind === 'deny') {
    attributes[CHECK_ATTRIBUTES.reason] = decision.reason;
    attributes[CHECK_ATTRIBUTES.enforced] = true;
  } else if (decision.kind === 'allow' && decision.notEnforced !== undefined) {
    attributes[CHECK_ATTRIBUTES.reason] = decision.notEnforced;
    attributes[CHECK_ATTRIBUTES.enforced] = false;
  }
  if (decision.kind !== 'metadata' && decision.mcp !== undefined) {
    attributes[CHECK_ATTRIBUTES.mcpMethod] = decision.mcp.method;
    attributes[CHECK_ATTRIBUTES.mcpTool] = decision.mcp.tool;
  }
  return attributes;
}

class TracedCheck implements CheckSpan {
  readonly #span: Span;
  readonly #context: Context;
  readonly #active: ActiveContext;
  readonly logFields: TraceLogFields | undefined;

  constructor(span: Span, parent: Context, active: ActiveContext) {
    this.#span = span;
    this.#context = trace.setSpan(parent, span);
    this.#active = active;
    const { traceId, spanId, traceFlags } = span.spanContext();
    // An unsampled span leads to no trace a collector holds: the ids would point nowhere.
    this.logFields = (traceFlags & TraceFlags.SAMPLED) === 0 ? undefined : { trace_id: traceId, span_id: spanId };
  }

  within<T>(work: () => Promise<T>): Promise<T> {
    // An unsampled span gets no children (traced-fetch.ts), so it needs no active context either.
    return this.#span.isRecording() ? this.#active.run(this.#context, work) : work();
  }

  end(decision: Decision): void {
    const span = this.#span;
    try {
      if (span.isRecording()) {
        span.setAttributes(decisionAttributes(decision));
        if (decision.kind === 'deny' && REASON_TABLE[decision.reason].httpStatus >= 500) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: decision.reason });
        }
      }
      span.end();
    } catch {
      // Tracing never decides a check nor stops its answer.
    }
  }
}

/** The span of a check whose span could not be started: nothing to record. */
const UNTRACED: CheckSpan = { within: (work) => work(), logFields: undefined, end: () => undefined };

/** The runner's `CheckTracing` over a tracer and the service's active context. */
export function checkSpans(tracer: Tracer, active: ActiveContext): CheckTracing {
  return {
    start(frontEnd: Frontend, startedAt: number, call: CallMetadata | undefined, extras: RequestExtras | undefined): CheckSpan {
      try {
        const parent = checkParent(call, extras);
        const span = tracer.startSpan(CHECK_SPAN_NAME, {
          kind: SpanKind.SERVER,
          startTime: startedAt,
          attributes: { [CHECK_ATTRIBUTES.frontEnd]: frontEnd, [CHECK_ATTRIBUTES.traceParent]: parent.source },
        }, parent.context);
        return new TracedCheck(span, parent.context, active);
      } catch {
        return UNTRACED;
      }
    },
  };
}
