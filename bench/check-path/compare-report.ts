/**
 * The A/B mode's Markdown report: each scenario's medians on both sides and
 * their ratio (this checkout over the other commit), with the no-op
 * baselines' runs to show how much the machine moved during the run.
 */
import type { Comparison } from './compare-scenarios.ts';
import type { Row } from './report.ts';

/** A scenario regresses when this checkout's median throughput is below this share of the other commit's. */
export const NO_REGRESSION_SHARE = 0.95;

export interface ComparisonResults extends Comparison {
  readonly environment: Readonly<Record<string, string | number>>;
  readonly ref: string;
  readonly here: string;
}

const fixed = (value: number | undefined, digits: number): string => (value === undefined || Number.isNaN(value) ? '–' : value.toFixed(digits));
const runsOf = (row: Row): string => row.runs.map((rps) => fixed(rps, 0)).join(' / ');

/** Whether every scenario's throughput on this side is at least NO_REGRESSION_SHARE of the other commit's. */
export function noRegression(results: Comparison): boolean {
  return results.rows.every((row) => row.here.result.rps >= NO_REGRESSION_SHARE * row.ref.result.rps);
}

export function renderComparison(results: ComparisonResults): string {
  const share = `${(NO_REGRESSION_SHARE * 100).toFixed(0)}%`;
  return [
    `Environment: ${Object.entries(results.environment).map(([key, value]) => `${key} ${String(value)}`).join(', ')}`,
    '',
    `**A/B: ref = ${results.ref}, here = ${results.here}** (medians; ratios are here / ref)`,
    '',
    `| scenario | ref calls/s | here calls/s | here / ref | ref CPU µs/call | here CPU µs/call | here / ref | ref p99 ms | here p99 ms | throughput ≥ ${share} of ref |`,
    '|---|---|---|---|---|---|---|---|---|---|',
    ...results.rows.map(({ label, ref, here }) => [
      label, fixed(ref.result.rps, 0), fixed(here.result.rps, 0), fixed(here.result.rps / ref.result.rps, 3),
      fixed(ref.cpuMicros, 0), fixed(here.cpuMicros, 0), fixed((here.cpuMicros ?? Number.NaN) / (ref.cpuMicros ?? Number.NaN), 3),
      fixed(ref.result.p99Ms, 2), fixed(here.result.p99Ms, 2), here.result.rps >= NO_REGRESSION_SHARE * ref.result.rps ? 'yes' : '**no**',
    ].join(' | ')).map((line) => `| ${line} |`),
    '',
    '**Runs (calls/s, in round order)**',
    '',
    '| scenario | ref | here |',
    '|---|---|---|',
    ...results.rows.map(({ label, ref, here }) => `| ${label} | ${runsOf(ref)} | ${runsOf(here)} |`),
    `| ${results.baseline.label} (one server for both sides; median ${fixed(results.baseline.result.rps, 0)}) | ${runsOf(results.baseline)} | |`,
    `| ${results.freshBaseline.label} (median ${fixed(results.freshBaseline.result.rps, 0)}) | ${runsOf(results.freshBaseline)} | |`,
    '',
    noRegression(results) ? `No regression: every scenario's median throughput is at least ${share} of ref's.` : `**Regression**: a scenario's median throughput is below ${share} of ref's.`,
    '',
  ].join('\n');
}
