/** The soak's figures: 30-second windows, the RSS series, the invariants, and the Markdown they are quoted in. */
import { percentile } from '../common/stats.ts';

export interface WindowRow {
  /** Seconds since the load started, at the end of the window. */
  readonly t: number;
  readonly answered: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Cumulative counts at the end of the window. */
  readonly rpcErrors: number;
  readonly wrong: number;
  readonly raced: number;
  readonly skipped: number;
  readonly rssMiB: number;
  /** The server's V8 heap in use and its longest event-loop delay in the window (its /metrics). */
  readonly heapMiB: number;
  readonly serverLagMaxMs: number;
  /** This process's longest event-loop delay in the window: stalls here inflate the latencies measured. */
  readonly generatorLagMaxMs: number;
  readonly policies: number;
  readonly generation: number;
}

export interface RssSample {
  readonly t: number;
  readonly rssMiB: number;
}

export interface Invariant {
  readonly name: string;
  readonly measured: string;
  readonly ok: boolean;
}

export function sortedLatencies(values: readonly number[]): Float64Array {
  return Float64Array.from(values).sort();
}

export function latencyPercentiles(values: readonly number[]): { p50Ms: number; p99Ms: number; maxMs: number } {
  const sorted = sortedLatencies(values);
  return { p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), maxMs: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1]! };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export interface RssSummary {
  readonly warmUpSeconds: number;
  /** Median of the samples in the last 30 s (at most) of the warm-up. */
  readonly warmUpEndMiB: number;
  /** Median of the samples in the last 30 s (at most) of the run. */
  readonly endMiB: number;
  readonly growthPct: number;
  readonly maxAfterWarmUpMiB: number;
  readonly atStartMiB: number;
}

/**
 * Warm-up is the first 2 minutes, or the first 20% of a run shorter than 10
 * minutes. A single RSS reading lands anywhere on the garbage collector's
 * sawtooth, so both ends are the median of the samples of a 30-second window
 * (shorter if the warm-up is).
 */
export function summarizeRss(samples: readonly RssSample[], runSeconds: number): RssSummary {
  const warmUpSeconds = Math.min(120, 0.2 * runSeconds);
  const window = Math.min(30, warmUpSeconds);
  const inRange = (from: number, to: number): number[] => samples.filter((sample) => sample.t > from && sample.t <= to).map((sample) => sample.rssMiB);
  const warmUpEndMiB = median(inRange(warmUpSeconds - window, warmUpSeconds));
  const endMiB = median(inRange(runSeconds - window, runSeconds + 60));
  const after = samples.filter((sample) => sample.t > warmUpSeconds).map((sample) => sample.rssMiB);
  return {
    warmUpSeconds,
    warmUpEndMiB,
    endMiB,
    growthPct: (endMiB / warmUpEndMiB - 1) * 100,
    maxAfterWarmUpMiB: after.length === 0 ? Number.NaN : Math.max(...after),
    atStartMiB: samples[0]?.rssMiB ?? Number.NaN,
  };
}

/** The rule for a deny flood (README "Logs"): after a 60 s warm-up, the highest RSS sample within 10% of the lowest. */
export interface RssFlatness {
  readonly warmUpSeconds: number;
  /** The first sample at or after the warm-up. */
  readonly atWarmUpMiB: number;
  readonly minMiB: number;
  readonly maxMiB: number;
  /** (max / min − 1), in percent. */
  readonly spreadPct: number;
}

/** Over the samples taken from `warmUpSeconds` until the load ended (`loadSeconds`). */
export function rssFlatness(samples: readonly RssSample[], loadSeconds: number, warmUpSeconds = 60): RssFlatness {
  const after = samples.filter((sample) => sample.t >= warmUpSeconds && sample.t <= loadSeconds + 1).map((sample) => sample.rssMiB);
  const minMiB = after.length === 0 ? Number.NaN : Math.min(...after);
  const maxMiB = after.length === 0 ? Number.NaN : Math.max(...after);
  return { warmUpSeconds, atWarmUpMiB: after[0] ?? Number.NaN, minMiB, maxMiB, spreadPct: (maxMiB / minMiB - 1) * 100 };
}

const fixed = (value: number, digits: number): string => (Number.isFinite(value) ? value.toFixed(digits) : '–');

export function windowLine(row: WindowRow, changes: number, invalid: number): string {
  return `${fixed(row.rps, 0)} checks/s | p50 ${fixed(row.p50Ms, 2)} ms, p99 ${fixed(row.p99Ms, 2)} ms | RPC errors ${String(row.rpcErrors)} | wrong ${String(row.wrong)} (raced ${String(row.raced)}) | skipped ${String(row.skipped)} | RSS ${fixed(row.rssMiB, 1)} MiB, heap ${fixed(row.heapMiB, 1)} MiB | loop delay max: server ${fixed(row.serverLagMaxMs, 0)} ms, generator ${fixed(row.generatorLagMaxMs, 0)} ms | policies ${String(row.policies)}, generation ${String(row.generation)}, changes ${String(changes)} (${String(invalid)} after an invalid file)`;
}

export interface SoakSummary {
  readonly environment: Readonly<Record<string, string | number>>;
  readonly totals: Readonly<Record<string, string | number>>;
  readonly rss: RssSummary;
  readonly windows: readonly WindowRow[];
  readonly byKind: Readonly<Record<string, { sent: number; right: number; raced: number; wrong: number }>>;
  readonly invariants: readonly Invariant[];
}

export function renderSummary(summary: SoakSummary): string {
  return [
    `Environment: ${Object.entries(summary.environment).map(([key, value]) => `${key} ${String(value)}`).join('; ')}`,
    '',
    '| measure | value |',
    '|---|---|',
    ...Object.entries(summary.totals).map(([key, value]) => `| ${key} | ${typeof value === 'number' ? fixed(value, Number.isInteger(value) ? 0 : 2) : value} |`),
    `| RSS after start (MiB) | ${fixed(summary.rss.atStartMiB, 1)} |`,
    `| RSS at warm-up end, ${fixed(summary.rss.warmUpSeconds, 0)} s (MiB) | ${fixed(summary.rss.warmUpEndMiB, 1)} |`,
    `| RSS at the end (MiB) | ${fixed(summary.rss.endMiB, 1)} |`,
    `| RSS growth after warm-up | ${fixed(summary.rss.growthPct, 1)}% |`,
    `| highest RSS after warm-up (MiB) | ${fixed(summary.rss.maxAfterWarmUpMiB, 1)} |`,
    '',
    '| request kind | sent | right | raced | wrong |',
    '|---|---|---|---|---|',
    ...Object.entries(summary.byKind).map(([kind, row]) => `| ${kind} | ${String(row.sent)} | ${String(row.right)} | ${String(row.raced)} | ${String(row.wrong)} |`),
    '',
    '| t (s) | checks/s | p50 ms | p99 ms | RPC errors | wrong | raced | skipped | RSS MiB | heap MiB | server loop delay max ms | generator loop delay max ms | policies | generation |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...summary.windows.map((row) => `| ${String(Math.round(row.t))} | ${fixed(row.rps, 0)} | ${fixed(row.p50Ms, 2)} | ${fixed(row.p99Ms, 2)} | ${String(row.rpcErrors)} | ${String(row.wrong)} | ${String(row.raced)} | ${String(row.skipped)} | ${fixed(row.rssMiB, 1)} | ${fixed(row.heapMiB, 1)} | ${fixed(row.serverLagMaxMs, 0)} | ${fixed(row.generatorLagMaxMs, 0)} | ${String(row.policies)} | ${String(row.generation)} |`),
    '',
    '| invariant | measured | held |',
    '|---|---|---|',
    ...summary.invariants.map((invariant) => `| ${invariant.name} | ${invariant.measured} | ${invariant.ok ? 'yes' : '**no**'} |`),
    '',
  ].join('\n');
}
