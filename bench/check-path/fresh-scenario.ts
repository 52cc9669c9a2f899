/**
 * Scenario (b): a fresh valid token on every request. Each round sends a new
 * slice of the pool once to the no-op baseline and to a fresh audience-guard
 * (so nothing can come from the token cache), then runs the tight loops of
 * bare jose.jwtVerify and of node:crypto verify over the same slice.
 */
import { BenchContext, rowOf, type Run } from './bench-context.ts';
import type { Row } from './report.ts';
import type { ServerProcess } from '../common/servers.ts';
import type { LoadResult } from '../common/stats.ts';

export const FRESH_LABELS = {
  baseline: 'baseline: no-op grpc-js server (same generator)',
  b: '(b) fresh valid token per request',
  jose: 'jose.jwtVerify, tight loop, same tokens',
  node: 'node:crypto verify only, tight loop, same tokens',
} as const;

/** One slice of the pool, each token once, to `server`; `check`: every call must be an allow (not asked of the no-op server). */
export async function freshRun(context: BenchContext, server: ServerProcess, start: number, check: boolean): Promise<Run> {
  const { freshPerRun } = context.config;
  const cpuBefore = server.cpuSeconds();
  const result = await context.generator(server, start, freshPerRun);
  if (check && (result.failed > 0 || result.wrong > 0)) {
    throw new Error(`(b): ${String(result.failed)} failed calls, ${String(result.wrong)} of ${String(result.sampled)} sampled answers not an allow`);
  }
  return { result, cpuMicros: ((server.cpuSeconds() - cpuBefore) / freshPerRun) * 1e6 };
}

export async function freshTokenScenario(context: BenchContext, onePolicy: string): Promise<readonly Row[]> {
  const { config, log } = context;
  const baseline = await context.noop('baseline-fresh');
  const guard = await context.guard('ag-b-fresh-tokens', onePolicy);
  await context.generator(baseline, 0, config.warmUpTokens);
  await context.generator(guard, 0, config.warmUpTokens);
  const loopRun = async (mode: 'jose' | 'node', start: number): Promise<Run> => {
    const { rps, cpuMicros } = await context.verifyLoop(mode, start, config.freshPerRun);
    const result: LoadResult = { rps, p50Ms: Number.NaN, p99Ms: Number.NaN, requests: config.freshPerRun, failed: 0 };
    return { result, cpuMicros };
  };
  const runs = { baseline: [] as Run[], b: [] as Run[], jose: [] as Run[], node: [] as Run[] };
  for (let round = 0; round < config.runs; round++) {
    const start = config.warmUpTokens + round * config.freshPerRun;
    runs.baseline.push(await freshRun(context, baseline, start, false));
    runs.b.push(await freshRun(context, guard, start, true));
    runs.jose.push(await loopRun('jose', start));
    runs.node.push(await loopRun('node', start));
    const rate = (list: readonly Run[]): string => list.at(-1)?.result.rps.toFixed(0) ?? '';
    log(`round ${String(round + 1)}: (b) ${rate(runs.b)} calls/s (baseline ${rate(runs.baseline)}); jose loop ${rate(runs.jose)}/s; node:crypto loop ${rate(runs.node)}/s`);
  }
  return [
    rowOf(FRESH_LABELS.baseline, runs.baseline, undefined),
    rowOf(FRESH_LABELS.b, runs.b, guard),
    rowOf(FRESH_LABELS.jose, runs.jose, undefined),
    rowOf(FRESH_LABELS.node, runs.node, undefined),
  ];
}
