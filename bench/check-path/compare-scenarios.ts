/**
 * The A/B mode's scenarios: audience-guard at two commits in one run — `ref`
 * (another commit, from its worktree) and `here` (this checkout) — next to
 * the no-op baseline, which shows how much the machine itself moved. (a), (c)
 * and (d) run at full rate with h2load; (b) sends one fresh slice of the token
 * pool per round to each side (each side has its own token cache, so both see
 * the tokens fresh). Rounds are interleaved as in the full run, each starting
 * one scenario later; the two sides of a scenario run back to back, and which
 * side goes first alternates by round, so drift in the machine's load hits
 * both alike.
 */
import { BenchContext, rowOf, type Run } from './bench-context.ts';
import { LABELS } from './fixed-body-scenarios.ts';
import { FRESH_LABELS, freshRun } from './fresh-scenario.ts';
import type { Row } from './report.ts';
import { expectDecision, roundBodies, type BodyKind } from './round-bodies.ts';
import { writePolicyFile } from '../common/fixtures.ts';
import type { ServerProcess } from '../common/servers.ts';

export type Side = 'ref' | 'here';
const FIXED = ['a', 'c', 'd'] as const;
type Fixed = (typeof FIXED)[number];
const KINDS: Readonly<Record<Fixed, BodyKind>> = { a: 'valid', c: 'wrong', d: 'valid' };
const NAMES: Readonly<Record<Fixed | 'b', string>> = { a: 'a-repeated-token', c: 'c-wrong-audience', d: 'd-1000-policies', b: 'b-fresh-tokens' };

/** One scenario measured on both sides. */
export interface ComparedRow {
  readonly label: string;
  readonly ref: Row;
  readonly here: Row;
}

export interface Comparison {
  readonly baseline: Row;
  readonly freshBaseline: Row;
  readonly rows: readonly ComparedRow[];
}

type Pair = Readonly<Record<Side, ServerProcess>>;

/** The order of the sides in a round (1-based): ref first in odd rounds, here first in even ones. */
const sidesOf = (round: number): readonly Side[] => (round % 2 === 1 ? ['ref', 'here'] : ['here', 'ref']);

class Runs {
  readonly #runs = new Map<string, Run[]>();

  add(key: string, run: Run): Run {
    this.#runs.set(key, [...(this.#runs.get(key) ?? []), run]);
    return run;
  }

  of(key: string): Run[] {
    return this.#runs.get(key) ?? [];
  }
}

export async function compareScenarios(context: BenchContext, onePolicy: string, refRoot: string): Promise<Comparison> {
  const { config, work, auth, log } = context;
  const pair = async (key: Fixed | 'b', policyFile: string): Promise<Pair> => ({
    ref: await context.guardAt(refRoot, `ref-${NAMES[key]}`, policyFile),
    here: await context.guard(`here-${NAMES[key]}`, policyFile),
  });
  const note = (label: string, side: Side | undefined, run: Run): void => {
    log(`${label}${side === undefined ? '' : ` [${side}]`}: ${run.result.rps.toFixed(0)} calls/s, p99 ${run.result.p99Ms.toFixed(2)} ms, ${(run.cpuMicros ?? 0).toFixed(0)} µs CPU/call`);
  };

  const baseline = await context.noop('baseline');
  const thousand = await writePolicyFile(work, auth.issuer, 1_000);
  const servers: Readonly<Record<Fixed, Pair>> = { a: await pair('a', onePolicy), c: await pair('c', onePolicy), d: await pair('d', thousand) };
  const runs = new Runs();
  const order = ['baseline', ...FIXED] as const;
  for (let round = 1; round <= config.runs; round++) {
    const bodies = await roundBodies(context);
    await expectDecision(LABELS.baseline, baseline, bodies.valid, 'valid');
    for (const key of FIXED) {
      for (const side of sidesOf(round)) await expectDecision(`${LABELS[key]} [${side}]`, servers[key][side], bodies[KINDS[key]], KINDS[key]);
    }
    const shift = (round - 1) % order.length;
    for (const key of [...order.slice(shift), ...order.slice(0, shift)]) {
      if (key === 'baseline') {
        note(`round ${String(round)}: ${LABELS.baseline}`, undefined, runs.add(key, await context.h2load(baseline, bodies.valid.file)));
        continue;
      }
      for (const side of sidesOf(round)) {
        note(`round ${String(round)}: ${LABELS[key]}`, side, runs.add(`${key}:${side}`, await context.h2load(servers[key][side], bodies[KINDS[key]].file)));
      }
    }
  }
  const rows: ComparedRow[] = FIXED.map((key) => ({
    label: LABELS[key],
    ref: rowOf(LABELS[key], runs.of(`${key}:ref`), servers[key].ref),
    here: rowOf(LABELS[key], runs.of(`${key}:here`), servers[key].here),
  }));
  const baselineRow = rowOf(LABELS.baseline, runs.of('baseline'), baseline);
  for (const server of [baseline, ...FIXED.flatMap((key) => [servers[key].ref, servers[key].here])]) await server.stop();

  const freshBaseline = await context.noop('baseline-fresh');
  const fresh = await pair('b', onePolicy);
  for (const server of [freshBaseline, fresh.ref, fresh.here]) await context.generator(server, 0, config.warmUpTokens);
  for (let round = 1; round <= config.runs; round++) {
    const start = config.warmUpTokens + (round - 1) * config.freshPerRun;
    note(`round ${String(round)}: ${FRESH_LABELS.baseline}`, undefined, runs.add('b-baseline', await freshRun(context, freshBaseline, start, false)));
    for (const side of sidesOf(round)) note(`round ${String(round)}: ${FRESH_LABELS.b}`, side, runs.add(`b:${side}`, await freshRun(context, fresh[side], start, true)));
  }
  rows.push({ label: FRESH_LABELS.b, ref: rowOf(FRESH_LABELS.b, runs.of('b:ref'), fresh.ref), here: rowOf(FRESH_LABELS.b, runs.of('b:here'), fresh.here) });
  return { baseline: baselineRow, freshBaseline: rowOf(FRESH_LABELS.baseline, runs.of('b-baseline'), freshBaseline), rows };
}
