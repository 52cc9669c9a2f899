/**
 * Tracing's settings from the standard OpenTelemetry environment variables,
 * read once at start when `--tracing` is given (README "Tracing"). Pure: it
 * returns settings or a one-line error naming the variable, and `serve` stops
 * with exit code 2 on an error, like on a bad flag.
 *
 *   OTEL_SDK_DISABLED=true                 tracing stays off, whatever the flag says
 *   OTEL_TRACES_EXPORTER                   `otlp` (default) or `none` (off)
 *   OTEL_EXPORTER_OTLP_PROTOCOL            `http/json` only (the exporter this service ships)
 *   OTEL_TRACES_SAMPLER, _ARG              the standard sampler names below
 *   OTEL_SERVICE_NAME                      default `audience-guard`
 *
 * The exporter itself reads OTEL_EXPORTER_OTLP_ENDPOINT (default
 * http://localhost:4318), OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, _HEADERS,
 * _TIMEOUT, _COMPRESSION and the TLS files, and OTEL_RESOURCE_ATTRIBUTES is
 * merged into the resource.
 */

/** The standard sampler names this service supports (OpenTelemetry's SDK environment variables). */
export const SAMPLER_NAMES = [
  'always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio',
] as const;
export type SamplerName = (typeof SAMPLER_NAMES)[number];

export interface SamplerSetting {
  readonly name: SamplerName;
  /** The ratio of the `traceidratio` samplers, 0 to 1. */
  readonly ratio: number;
}

export interface TracingSettings {
  readonly sampler: SamplerSetting;
  readonly serviceName: string;
  /** The OTLP/HTTP traces URL; undefined: the exporter's own reading of the environment (tests set it). */
  readonly tracesURL?: string | undefined;
}

export type TracingSettingsResult =
  | { readonly ok: true; readonly settings: TracingSettings | undefined }
  | { readonly ok: false; readonly error: string };

type Environment = Readonly<Record<string, string | undefined>>;

/** A variable's value, trimmed; empty counts as unset (as templating tools often render). */
function read(env: Environment, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function sampler(env: Environment): SamplerSetting | string {
  const name = (read(env, 'OTEL_TRACES_SAMPLER') ?? 'parentbased_always_on').toLowerCase();
  if (!(SAMPLER_NAMES as readonly string[]).includes(name)) {
    return `OTEL_TRACES_SAMPLER: expected one of ${SAMPLER_NAMES.join(', ')}, got "${name}"`;
  }
  const arg = read(env, 'OTEL_TRACES_SAMPLER_ARG');
  const ratio = arg === undefined ? 1 : Number(arg);
  if (!/^(0|1|0?\.\d+|1\.0*)$/.test(arg ?? '1') || ratio > 1) {
    return `OTEL_TRACES_SAMPLER_ARG: expected a ratio from 0 to 1, got "${arg ?? ''}"`;
  }
  return { name: name as SamplerName, ratio };
}

/** The settings when `--tracing` is given (`enabled`); undefined settings: tracing stays off. */
export function tracingSettings(enabled: boolean, env: Environment): TracingSettingsResult {
  if (!enabled || read(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return { ok: true, settings: undefined };
  const exporter = read(env, 'OTEL_TRACES_EXPORTER')?.toLowerCase() ?? 'otlp';
  if (exporter === 'none') return { ok: true, settings: undefined };
  if (exporter !== 'otlp') return { ok: false, error: `OTEL_TRACES_EXPORTER: expected otlp or none, got "${exporter}"` };
  // The traces-specific variable wins over the general one (the exporter reads them so).
  const protocolVariable = read(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') === undefined
    ? 'OTEL_EXPORTER_OTLP_PROTOCOL'
    : 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL';
  const protocol = read(env, protocolVariable);
  if (protocol !== undefined && protocol !== 'http/json') {
    return { ok: false, error: `${protocolVariable}: only http/json is supported, got "${protocol}"` };
  }
  const chosen = sampler(env);
  if (typeof chosen === 'string') return { ok: false, error: chosen };
  return { ok: true, settings: { sampler: chosen, serviceName: read(env, 'OTEL_SERVICE_NAME') ?? 'audience-guard' } };
}
