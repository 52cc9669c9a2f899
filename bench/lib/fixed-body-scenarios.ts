/**
 * The h2load scenarios (one fixed request body each): the no-op baseline, the
 * same with audience-guard's codecs, (a) a repeated valid token, (c) a
 * wrong-audience token, (d) 1,000 policies loaded — at full rate, rounds
 * interleaved, each round starting one scenario later so none always runs
 * first or last — and then the baseline and (a) held at half the baseline's
 * rate, for latency. Each round's answers are probed first, so every scenario
 * measures the decision it is meant to.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BenchContext, rowOf, type Run } from './bench-context.ts';
import { MCP_RESOURCE, OTHER_RESOURCE, tokenFrame, writePolicyFile } from './fixtures.ts';
import { runH2load } from './h2load.ts';
import { probe } from './probe.ts';
import type { Row } from './report.ts';
import type { ServerProcess } from './servers.ts';

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

  // Bodies are rebuilt each round with newly issued tokens (oidc-provider's tokens live 5 minutes).
  const bodies = async (): Promise<Record<Key, string>> => {
    const valid = tokenFrame(await auth.issueToken({ resource: MCP_RESOURCE }));
    const wrong = tokenFrame(await auth.issueToken({ resource: OTHER_RESOURCE }));
    const files = { valid: join(work, 'valid.bin'), wrong: join(work, 'wrong.bin') };
    await writeFile(files.valid, valid);
    await writeFile(files.wrong, wrong);
    const chosen: Record<Key, [Buffer, string, string]> = {
      baseline: [valid, files.valid, 'allow'], floor: [valid, files.valid, 'allow'], a: [valid, files.valid, 'allow'],
      c: [wrong, files.wrong, 'audience_mismatch'], d: [valid, files.valid, 'allow'],
    };
    for (const key of KEYS) {
      const [frame, , expected] = chosen[key];
      const answer = await probe(servers[key].grpcPort, frame);
      const got = answer.allowed ? 'allow' : answer.reason ?? `grpc-status ${answer.grpcStatus}`;
      if (got !== expected) throw new Error(`${LABELS[key]}: expected ${expected}, got ${got}`);
    }
    return { baseline: chosen.baseline[1], floor: chosen.floor[1], a: chosen.a[1], c: chosen.c[1], d: chosen.d[1] };
  };

  const measure = async (key: Key, bodyFile: string, rpsPerClient?: number): Promise<Run> => {
    const server = servers[key];
    const cpuBefore = server.cpuSeconds();
    const result = await runH2load({
      port: server.grpcPort, bodyFile, clients: config.clients, streams: rpsPerClient === undefined ? config.streams : config.pacedStreams,
      durationSeconds: config.durationSeconds, warmUpSeconds: config.warmUpSeconds,
      logFile: join(work, 'h2load.log'), ...(rpsPerClient === undefined ? {} : { rpsPerClient }),
    });
    const calls = result.rps * (config.durationSeconds + config.warmUpSeconds);
    return { result, cpuMicros: ((server.cpuSeconds() - cpuBefore) / calls) * 1e6 };
  };

  const rounds = async (keys: readonly Key[], rpsPerClient?: number): Promise<Map<Key, Run[]>> => {
    const runs = new Map<Key, Run[]>();
    for (let round = 1; round <= config.runs; round++) {
      const files = await bodies();
      const order = [...keys.slice((round - 1) % keys.length), ...keys.slice(0, (round - 1) % keys.length)];
      for (const key of order) {
        const run = await measure(key, files[key], rpsPerClient);
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
