/**
 * The h2load scenarios (one fixed request body each): the no-op baseline, the
 * same with audience-guard's codecs, (a) a repeated valid token, (c) a
 * wrong-audience token, (d) 1,000 policies loaded — at full rate, rounds
 * interleaved, each round starting one scenario later so none always runs
 * first or last — and then the baseline and (a) held at half the baseline's
 * rate, for latency. Each round's answers are probed first, so every scenario
 * measures the decision it is meant to.
 */
import { BenchContext, rowOf, type Run } from './bench-context.ts';
import { writePolicyFile } from '../common/fixtures.ts';
import type { Row } from './report.ts';
import { expectDecision, roundBodies, type BodyKind } from './round-bodies.ts';
import type { ServerProcess } from '../common/servers.ts';

const KEYS = ['baseline', 'floor', 'a', 'c', 'd'] as const;
type Key = (typeof KEYS)[number];

export const LABELS: Readonly<Record<Key, string>> = {
  baseline: 'baseline: no-op grpc-js server',
  floor: 'floor: the same with audience-guard\'s codecs',
  a: '(a) same valid token repeated',
  c: '(c) wrong-audience token repeated',
  d: '(d) valid token, 1,000 policies loaded',
};

export interface FixedBodyResults {
  readonly maxRate: readonly Row[];
  readonly halfRate: { readonly targetRps: number; readonly rows: readonly Row[] };
}

export async function fixedBodyScenarios(context: BenchContext, onePolicy: string): Promise<FixedBodyResults> {
  const { config, work, auth, log } = context;
  const servers: Record<Key, ServerProcess> = {
    baseline: await context.noop('baseline'),
    floor: await context.noop('floor', true),
    a: await context.guard('ag-a-repeated-token', onePolicy),
    c: await context.guard('ag-c-wrong-audience', onePolicy),
    d: await context.guard('ag-d-1000-policies', await writePolicyFile(work, auth.issuer, 1_000)),
  };

  const kinds: Readonly<Record<Key, BodyKind>> = { baseline: 'valid', floor: 'valid', a: 'valid', c: 'wrong', d: 'valid' };

  // Bodies are rebuilt each round with newly issued tokens, and every server's answer checked.
  const bodies = async (): Promise<Record<Key, string>> => {
    const issued = await roundBodies(context);
    for (const key of KEYS) await expectDecision(LABELS[key], servers[key], issued[kinds[key]], kinds[key]);
    return { baseline: issued.valid.file, floor: issued.valid.file, a: issued.valid.file, c: issued.wrong.file, d: issued.valid.file };
  };

  const rounds = async (keys: readonly Key[], rpsPerClient?: number): Promise<Map<Key, Run[]>> => {
    const runs = new Map<Key, Run[]>();
    for (let round = 1; round <= config.runs; round++) {
      const files = await bodies();
      const order = [...keys.slice((round - 1) % keys.length), ...keys.slice(0, (round - 1) % keys.length)];
      for (const key of order) {
        const run = await context.h2load(servers[key], files[key], rpsPerClient);
        runs.set(key, [...(runs.get(key) ?? []), run]);
        log(`round ${String(round)}${rpsPerClient === undefined ? '' : ' (paced)'}: ${LABELS[key]}: ${run.result.rps.toFixed(0)} calls/s, p50 ${run.result.p50Ms.toFixed(2)} ms, p99 ${run.result.p99Ms.toFixed(2)} ms, ${(run.cpuMicros ?? 0).toFixed(0)} µs CPU/call`);
      }
    }
    return runs;
  };

  const maxRuns = await rounds(KEYS);
  const maxRate = KEYS.map((key) => rowOf(LABELS[key], maxRuns.get(key) ?? [], servers[key]));
  const targetRps = (maxRate[0]?.result.rps ?? 0) / 2;
  const paced = ['baseline', 'a'] as const;
  const halfRuns = await rounds(paced, targetRps / config.clients);
  return { maxRate, halfRate: { targetRps, rows: paced.map((key) => rowOf(LABELS[key], halfRuns.get(key) ?? [], undefined)) } };
}
