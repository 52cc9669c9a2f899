/**
 * What tracing adds to one check, in process and without the network: the
 * runner's tracing calls (`start`, `within` around an async decide, `end`)
 * with tracing off (no CheckTracing: the bare await), on but not sampled,
 * and on and sampled (the SDK's BatchSpanProcessor into an exporter that
 * drops the batch), plus the AsyncLocalStorage context alone. Prints
 * nanoseconds per check, the median of 5 rounds. A rough guide next to the
 * full benchmark's `--tracing` runs (bench/README.md "Tracing").
 *
 *   npx node bench/check-path/tracing-overhead.ts [--checks 200000]
 */
import { parseArgs } from 'node:util';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { BatchSpanProcessor, TracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace';
import type { Decision } from '../../src/core/decision.ts';
import { ActiveContext } from '../../src/tracing/active-context.ts';
import { checkSpans } from '../../src/tracing/check-spans.ts';
import { samplerFor } from '../../src/tracing/service-tracing.ts';

const { values } = parseArgs({ options: { checks: { type: 'string', default: '200000' } } });
const checks = Number(values.checks);
const DECISION: Decision = { kind: 'deny', reason: 'missing_token', policy: undefined, challengeScopes: [], tokenSHA256: undefined, principal: undefined };
const EXTRAS = { traceHeaders: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } };
const decide = (): Promise<Decision> => Promise.resolve(DECISION);

const DROP: SpanExporter = { export: (_spans, done) => { done({ code: ExportResultCode.SUCCESS }); }, shutdown: () => Promise.resolve() };

function tracingWith(ratio: number): ReturnType<typeof checkSpans> {
  const provider = new TracerProvider({ sampler: samplerFor({ name: 'traceidratio', ratio }), spanProcessors: [new BatchSpanProcessor({ exporter: DROP })] });
  return checkSpans(provider.getTracer('bench'), new ActiveContext());
}

const cases: Record<string, () => Promise<unknown>> = {
  'off (no CheckTracing)': decide,
  'AsyncLocalStorage context only': (() => { const active = new ActiveContext(); return () => active.run(ROOT_CONTEXT, decide); })(),
  ...Object.fromEntries([0, 0.01, 1].map((ratio) => {
    const tracing = tracingWith(ratio);
    // Every check joins the request's trace; traceidratio samples by the ratio alone.
    return [`on, ${String(ratio * 100)}% sampled`, async () => {
      const span = tracing.start('grpc', performance.now(), undefined, EXTRAS);
      span.end(await span.within(decide));
    }];
  })),
};

async function nanosPerCheck(run: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  for (let index = 0; index < checks; index += 1) await run();
  return Number(process.hrtime.bigint() - started) / checks;
}

for (const run of Object.values(cases)) await nanosPerCheck(run); // warm-up
for (const [name, run] of Object.entries(cases)) {
  const rounds: number[] = [];
  for (let round = 0; round < 5; round += 1) rounds.push(await nanosPerCheck(run));
  rounds.sort((a, b) => a - b);
  process.stdout.write(`${name.padEnd(34)} ${rounds[2]!.toFixed(0).padStart(6)} ns/check\n`);
}
