// Tracing's settings from the standard OpenTelemetry variables (README
// "Tracing"): off unless --tracing, and then still off with OTEL_SDK_DISABLED
// or OTEL_TRACES_EXPORTER=none; the standard sampler names and a ratio from
// 0 to 1; only the exporter this service ships (OTLP over HTTP, JSON); and a
// bad value is one error naming its variable, never a silent default.
import { strict as assert } from 'node:assert';
import { tracingSettings, type TracingSettings } from '../../../src/tracing/tracing-settings.ts';

function settings(env: Record<string, string> = {}): TracingSettings | undefined {
  const result = tracingSettings(true, env);
  assert.ok(result.ok, result.ok ? '' : result.error);
  return result.settings;
}

function failure(env: Record<string, string>): string {
  const result = tracingSettings(true, env);
  assert.ok(!result.ok, 'expected an error');
  return result.error;
}

describe('tracing settings', () => {
  it('is off without --tracing, whatever the OTEL_* variables say', () => {
    assert.deepEqual(tracingSettings(false, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_SAMPLER: 'always_on' }), { ok: true, settings: undefined });
  });

  it('stays off with OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none', () => {
    assert.equal(settings({ OTEL_SDK_DISABLED: 'true' }), undefined);
    assert.equal(settings({ OTEL_TRACES_EXPORTER: 'none' }), undefined);
  });

  it('defaults to the standard parent-based always-on sampler and the service name audience-guard', () => {
    assert.deepEqual(settings(), { sampler: { name: 'parentbased_always_on', ratio: 1 }, serviceName: 'audience-guard' });
    assert.deepEqual(settings({ OTEL_TRACES_SAMPLER: '', OTEL_SERVICE_NAME: '' }), settings(), 'empty counts as unset');
  });

  it('reads OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER and a ratio in OTEL_TRACES_SAMPLER_ARG', () => {
    assert.deepEqual(settings({ OTEL_SERVICE_NAME: 'ext-authz', OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.01' }), {
      sampler: { name: 'parentbased_traceidratio', ratio: 0.01 }, serviceName: 'ext-authz',
    });
    for (const ratio of ['0', '1', '1.0', '.5', '0.25']) assert.ok(settings({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: ratio }));
  });

  it('refuses an unknown sampler, a ratio outside 0 to 1, another exporter or protocol, naming the variable', () => {
    assert.match(failure({ OTEL_TRACES_SAMPLER: 'jaeger_remote' }), /^OTEL_TRACES_SAMPLER: expected one of/);
    for (const ratio of ['1.5', '-0.1', 'half', '1e-2']) assert.match(failure({ OTEL_TRACES_SAMPLER_ARG: ratio }), /^OTEL_TRACES_SAMPLER_ARG: /, ratio);
    assert.match(failure({ OTEL_TRACES_EXPORTER: 'zipkin' }), /^OTEL_TRACES_EXPORTER: /);
    assert.match(failure({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }), /^OTEL_EXPORTER_OTLP_PROTOCOL: only http\/json/);
    assert.match(failure({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }), /^OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: /);
    assert.ok(settings({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }), 'the traces-specific variable wins');
  });
});
