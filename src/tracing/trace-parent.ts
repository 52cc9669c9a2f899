/**
 * Which trace a check joins. First the call's own metadata: when Envoy traces,
 * it sends its ext_authz span there, and that is the span the check belongs
 * under. Otherwise the trace headers of the request the check is about
 * (`extras.traceHeaders`, which the Envoy front end fills) — the client's or
 * an upstream proxy's trace. A client can set those headers itself, so it
 * can pick the trace id and, under a parent-based sampler, ask for sampling;
 * README "Tracing" says so and how to bound it.
 *
 * Both carry W3C trace context (`traceparent`, `tracestate`) or B3 (`b3`,
 * `x-b3-*`); the propagators are OpenTelemetry's own. When both formats are
 * present, W3C wins (it is extracted last).
 */
import { ROOT_CONTEXT, trace, type Context, type TextMapGetter } from '@opentelemetry/api';
import { CompositePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { B3Propagator } from '@opentelemetry/propagator-b3';
import type { RequestExtras } from '../core/request-extras.ts';
import type { CallMetadata } from './check-tracing.ts';

/** Where the parent came from, a closed set (the `audience_guard.trace_parent` attribute). */
export type ParentSource = 'call' | 'request' | 'none';

const PROPAGATOR = new CompositePropagator({ propagators: [new B3Propagator(), new W3CTraceContextPropagator()] });

const METADATA_GETTER: TextMapGetter<CallMetadata> = {
  keys: () => [],
  get(metadata, key) {
    const [first] = metadata.get(key);
    return typeof first === 'string' ? first : undefined;
  },
};

const HEADERS_GETTER: TextMapGetter<Readonly<Record<string, string>>> = {
  keys: (headers) => Object.keys(headers),
  get: (headers, key) => headers[key],
};

function joined(context: Context): boolean {
  return trace.getSpanContext(context) !== undefined;
}

/** The context to start a check's span in, and where its parent came from. */
export function checkParent(call: CallMetadata | undefined, extras: RequestExtras | undefined): { context: Context; source: ParentSource } {
  if (call !== undefined) {
    const fromCall = PROPAGATOR.extract(ROOT_CONTEXT, call, METADATA_GETTER);
    if (joined(fromCall)) return { context: fromCall, source: 'call' };
  }
  const headers = extras?.traceHeaders;
  if (headers !== undefined) {
    const fromRequest = PROPAGATOR.extract(ROOT_CONTEXT, headers, HEADERS_GETTER);
    if (joined(fromRequest)) return { context: fromRequest, source: 'request' };
  }
  return { context: ROOT_CONTEXT, source: 'none' };
}
