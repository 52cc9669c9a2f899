/**
 * The summary table: one row per scenario, its figures, its target (issue 18)
 * and whether this run met it (bench/README.md explains each reading).
 *
 * Adding a scenario (MCP tools/call, DPoP fresh proof, introspection cache
 * hit, tracing on/off, …): measure it into a `Row` of `Measured` (its own
 * list, or `maxRate`/`fresh` when it runs there), then add one entry to
 * SCENARIO_TARGETS below — its label, and `judge`, which reads the rows it
 * needs through `Figures` and returns the target's text, what was measured
 * and whether it was met (or undefined when a row it needs was not measured,
 * e.g. in `--compare` or a partial run). Nothing else needs to change: the
 * table is rendered from this list in order.
 */
import { FRESH_LABELS } from './fresh-scenario.ts';
import { LABELS, type FixedBodyResults } from './fixed-body-scenarios.ts';
import type { Row } from './report.ts';

export interface Measured {
  readonly fixed: FixedBodyResults;
  readonly fresh: readonly Row[];
  readonly memory: { readonly peakRssMiB: number; readonly cached: number };
  readonly rss: { readonly policies: number; readonly tokens: number };
  /** Rows of scenarios other engineers add, by label. */
  readonly extra?: readonly Row[];
}

/** Lookups on the measured rows by label; NaN for anything not measured. */
export interface Figures {
  rps(label: string): number;
  cpu(label: string): number;
  /** p99 at half the baseline's maximum rate. */
  halfRateP99(label: string): number;
  readonly measured: Measured;
}

export interface Judgement {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

export interface ScenarioTarget {
  /** The row's name in the summary; also the label of the measured row whose throughput and CPU it shows. */
  readonly scenario: string;
  /** Show the figures of the half-rate row `scenario` instead (latency targets). */
  readonly halfRate?: true;
  readonly judge: (figures: Figures) => Judgement | undefined;
}

export interface SummaryRow extends Judgement {
  readonly scenario: string;
  readonly rps: number;
  readonly cpuMicros: number;
}

const ratio = (value: number): string => (Number.isNaN(value) ? '–' : value.toFixed(2));
const micros = (value: number): string => `${value.toFixed(0)} µs`;

export const SCENARIO_TARGETS: readonly ScenarioTarget[] = [
  { scenario: LABELS.baseline, judge: (f) => ({ target: 'the reference', measured: `${f.rps(LABELS.baseline).toFixed(0)} calls/s`, met: true }) },
  {
    scenario: LABELS.a,
    judge: (f) => {
      const value = f.rps(LABELS.a) / f.rps(LABELS.baseline);
      return { target: '≥ 0.90 × baseline throughput', measured: `${ratio(value)} × baseline`, met: value >= 0.9 };
    },
  },
  {
    scenario: LABELS.a,
    halfRate: true,
    judge: (f) => {
      const a = f.halfRateP99(LABELS.a);
      const baseline = f.halfRateP99(LABELS.baseline);
      return { target: 'p99 at half the baseline\'s maximum rate ≤ 1.2 × the baseline\'s p99', measured: `${a.toFixed(2)} vs ${baseline.toFixed(2)} ms (${ratio(a / baseline)} ×)`, met: a <= 1.2 * baseline };
    },
  },
  {
    scenario: FRESH_LABELS.b,
    judge: (f) => {
      const limit = f.cpu(FRESH_LABELS.baseline) + 2 * f.cpu(FRESH_LABELS.node);
      const value = f.cpu(FRESH_LABELS.b);
      return {
        target: 'server CPU/check ≤ no-op CPU/call + 2 × node:crypto verify',
        measured: `${micros(value)} vs ${micros(f.cpu(FRESH_LABELS.baseline))} + 2 × ${micros(f.cpu(FRESH_LABELS.node))} = ${micros(limit)}`,
        met: value <= limit,
      };
    },
  },
  {
    scenario: LABELS.c,
    judge: (f) => {
      const value = f.rps(LABELS.c) / f.rps(LABELS.a);
      return { target: '≥ 0.95 × (a) throughput, rejection log on', measured: `${ratio(value)} × (a); CPU ${micros(f.cpu(LABELS.c))} vs ${micros(f.cpu(LABELS.a))}`, met: value >= 0.95 };
    },
  },
  {
    scenario: LABELS.d,
    judge: (f) => {
      const value = f.rps(LABELS.d) / f.rps(LABELS.a);
      return { target: 'none (policy selection); ratio to (a) shown', measured: `${ratio(value)} × (a)`, met: true };
    },
  },
  {
    scenario: 'memory',
    judge: ({ measured: { memory, rss } }) => ({
      target: `≤ 200 MiB peak RSS (stretch 150), ${String(rss.policies)} policies + ${String(rss.tokens)} cached tokens`,
      measured: `${memory.peakRssMiB.toFixed(0)} MiB, ${String(memory.cached)} tokens cached`,
      met: memory.peakRssMiB <= 200 && memory.cached === rss.tokens,
    }),
  },
  // Scenarios being added on other branches go here, each with its target:
  //   MCP tools/call with a 1 KiB body ≥ 0.9 × (a) throughput;
  //   DPoP with a fresh proof: CPU/check ≤ (b) + 1.5 × one ES256 verify;
  //   introspection cache hit; tracing on and off.
];

export function summarize(measured: Measured): SummaryRow[] {
  const rows = new Map([...measured.fixed.maxRate, ...measured.fresh, ...(measured.extra ?? [])].map((row) => [row.label, row]));
  const half = new Map(measured.fixed.halfRate.rows.map((row) => [row.label, row]));
  const halfRps = (label: string): number => half.get(label)?.result.rps ?? Number.NaN;
  const halfCpu = (label: string): number => half.get(label)?.cpuMicros ?? Number.NaN;
  const figures: Figures = {
    rps: (label) => rows.get(label)?.result.rps ?? Number.NaN,
    cpu: (label) => rows.get(label)?.cpuMicros ?? Number.NaN,
    halfRateP99: (label) => half.get(label)?.result.p99Ms ?? Number.NaN,
    measured,
  };
  return SCENARIO_TARGETS.flatMap(({ scenario, halfRate, judge }) => {
    const judgement = judge(figures);
    // A row whose figures were not measured (a partial run) is left out.
    if (judgement === undefined || judgement.measured.includes('NaN')) return [];
    const rps = halfRate === true ? halfRps(scenario) : figures.rps(scenario);
    const cpuMicros = halfRate === true ? halfCpu(scenario) : figures.cpu(scenario);
    return [{ scenario: halfRate === true ? `${scenario}, at half the baseline's maximum rate` : scenario, rps, cpuMicros, ...judgement }];
  });
}
