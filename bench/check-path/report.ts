/** Turns the benchmark's measurements into the Markdown tables bench/README.md quotes. */
import type { LoadResult } from '../common/stats.ts';
import type { SummaryRow } from './targets.ts';

export interface Row {
  readonly label: string;
  /** Median over the runs. */
  readonly result: LoadResult;
  readonly runs: readonly number[];
  /** Median server CPU time per call, microseconds (undefined for in-process loops). */
  readonly cpuMicros: number | undefined;
  readonly peakRssMiB: number | undefined;
}

export interface BenchResults {
  readonly environment: Readonly<Record<string, string | number>>;
  readonly maxRate: readonly Row[];
  readonly halfRate: { readonly targetRps: number; readonly rows: readonly Row[] };
  readonly fresh: readonly Row[];
  readonly memory: Readonly<Record<string, number | string>>;
  /** One row per scenario with its target (targets.ts). */
  readonly targets: readonly SummaryRow[];
}

const fixed = (value: number | undefined, digits: number): string => (value === undefined || Number.isNaN(value) ? '–' : value.toFixed(digits));

function table(rows: readonly Row[], reference: number | undefined, referenceName: string): string[] {
  return [
    `| scenario | throughput (median, calls/s) | runs | ratio to ${referenceName} | p50 ms | p99 ms | server CPU µs/call | peak RSS MiB |`,
    '|---|---|---|---|---|---|---|---|',
    ...rows.map((row) => `| ${row.label} | ${fixed(row.result.rps, 0)} | ${row.runs.map((rps) => fixed(rps, 0)).join(' / ')} | ${reference === undefined ? '–' : fixed(row.result.rps / reference, 2)} | ${fixed(row.result.p50Ms, 2)} | ${fixed(row.result.p99Ms, 2)} | ${fixed(row.cpuMicros, 0)} | ${fixed(row.peakRssMiB, 0)} |`),
  ];
}

export function renderReport(results: BenchResults): string {
  const baseline = results.maxRate[0]?.result.rps;
  const freshBaseline = results.fresh.find((row) => row.label.startsWith('jose'))?.result.rps;
  return [
    `Environment: ${Object.entries(results.environment).map(([key, value]) => `${key} ${String(value)}`).join(', ')}`,
    '',
    '**Every scenario, its target and whether this run met it**',
    '',
    '| scenario | calls/s | server CPU µs/call | target | measured | met |',
    '|---|---|---|---|---|---|',
    ...results.targets.map((row) => `| ${row.scenario} | ${fixed(row.rps, 0)} | ${fixed(row.cpuMicros, 0)} | ${row.target} | ${row.measured} | ${row.met ? 'yes' : '**no**'} |`),
    '',
    '**Maximum rate (h2load, fixed body)**',
    '',
    ...table(results.maxRate, baseline, 'baseline'),
    '',
    `**Latency at 50% of the baseline's maximum rate (${fixed(results.halfRate.targetRps, 0)} calls/s offered)**`,
    '',
    ...table(results.halfRate.rows, undefined, 'baseline'),
    '',
    '**Fresh token per request (Node http2 generator, each token sent once)**',
    '',
    ...table(results.fresh, freshBaseline, 'jose loop'),
    '',
    '**Memory**',
    '',
    '| measure | value |',
    '|---|---|',
    ...Object.entries(results.memory).map(([key, value]) => `| ${key} | ${typeof value === 'number' ? fixed(value, 1) : value} |`),
    '',
  ].join('\n');
}
