/** Small statistics helpers for the benchmark: medians of runs, latency percentiles. */

/** The median of `values` (the mean of the two middle values for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Nearest-rank percentile (`p` from 0 to 100) of an ascending-sorted array; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export interface LoadResult {
  /** Completed requests per second over the measured period. */
  readonly rps: number;
  /** Latency percentiles in milliseconds. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  /** Calls that failed: grpc-status not 0 (Node client), or failed/errored streams (h2load). */
  readonly failed: number;
}

/** Median of each field over several runs of the same measurement. */
export function medianOf(results: readonly LoadResult[]): LoadResult {
  return {
    rps: median(results.map((result) => result.rps)),
    p50Ms: median(results.map((result) => result.p50Ms)),
    p99Ms: median(results.map((result) => result.p99Ms)),
    requests: median(results.map((result) => result.requests)),
    failed: Math.max(0, ...results.map((result) => result.failed)),
  };
}
