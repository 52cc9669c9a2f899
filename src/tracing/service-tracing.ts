/**
 * Tracing of the running service, when `--tracing` turned it on: one tracer
 * provider with a batch span processor and the OTLP/HTTP (JSON) exporter,
 * the standard samplers, the spans of every check (check-spans.ts) and of
 * the outbound requests (traced-fetch.ts). Loaded only when tracing is on
 * (src/server/audience-guard-service.ts imports it then), so a service
 * without tracing loads no module of the OpenTelemetry SDK.
 *
 * Nothing is registered globally (no global tracer provider, propagator or
 * context manager): the spans come from this provider and the context from
 * this service's own ActiveContext.
 */
import type { Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, detectResources, resourceAttributesEnvDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler, AlwaysOnSampler, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, TracerProvider, type Sampler,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { packageVersion } from '../cli/version.ts';
import type { EndpointFetch } from '../net/endpoint-failure.ts';
import { ActiveContext } from './active-context.ts';
import { checkSpans } from './check-spans.ts';
import type { CheckTracing } from './check-tracing.ts';
import { tracedFetch } from './traced-fetch.ts';
import type { SamplerSetting, TracingSettings } from './tracing-settings.ts';

/** The instrumentation scope of every span the service makes. */
const SCOPE = 'audience-guard';
/** How long a stop waits for the last spans to be exported before it gives them up (a collector may be down). */
const EXPORT_AT_STOP_MS = 2_000;

export function samplerFor(setting: SamplerSetting): Sampler {
  switch (setting.name) {
    case 'always_on': return new AlwaysOnSampler();
    case 'always_off': return new AlwaysOffSampler();
    case 'traceidratio': return new TraceIdRatioBasedSampler(setting.ratio);
    case 'parentbased_always_on': return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off': return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio': return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(setting.ratio) });
  }
}

export class ServiceTracing {
  readonly #provider: TracerProvider;
  readonly #tracer: Tracer;
  readonly #active = new ActiveContext();
  /** What the check runner calls (src/runner/check-runner.ts). */
  readonly checks: CheckTracing;

  constructor(settings: TracingSettings) {
    const exporter = new OTLPTraceExporter(settings.tracesURL === undefined ? {} : { url: settings.tracesURL });
    this.#provider = new TracerProvider({
      sampler: samplerFor(settings.sampler),
      resource: defaultResource()
        .merge(detectResources({ detectors: [resourceAttributesEnvDetector] }))
        .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName, [ATTR_SERVICE_VERSION]: packageVersion() })),
      spanProcessors: [new BatchSpanProcessor({ exporter })],
    });
    this.#tracer = this.#provider.getTracer(SCOPE, packageVersion());
    this.checks = checkSpans(this.#tracer, this.#active);
  }

  /** `fetcher` (undefined: the global fetch) with a child span for each request a check makes. */
  fetch(fetcher: EndpointFetch | undefined): EndpointFetch {
    return tracedFetch(this.#tracer, this.#active, fetcher);
  }

  /** Exports every span ended so far. */
  flush(): Promise<void> {
    return this.#provider.forceFlush();
  }

  /** Exports what is left (for at most 2 s), then stops; called last when the service stops. Never rejects. */
  async shutdown(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const givenUp = new Promise<void>((resolve) => { timer = setTimeout(resolve, EXPORT_AT_STOP_MS); });
    await Promise.race([this.#provider.shutdown().catch(() => undefined), givenUp]);
    clearTimeout(timer);
  }
}
