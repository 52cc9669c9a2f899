/**
 * Fixed seeds and sizes of the CI-sized fuzz run, and the shared world.
 *
 * Every run of `npm test` replays exactly the same inputs. To explore, or to
 * replay a reported failure, set FUZZ_SEED (a 32-bit integer) and, to scale,
 * FUZZ_SCALE (a multiplier of every count):
 *
 *   FUZZ_SEED=12345 FUZZ_SCALE=10 npx mocha test/fuzz
 */
import { strict as assert } from 'node:assert';
import type { FuzzStats } from './fuzz-stats.ts';
import { startFuzzWorld, type FuzzWorld } from './fuzz-world.ts';

const DEFAULT_SEED = 0x5eed_0007;

/** The run's base seed: FUZZ_SEED or the fixed CI seed. */
export const FUZZ_SEED: number = parseSeed(process.env.FUZZ_SEED) ?? DEFAULT_SEED;

const SCALE = Math.max(0.01, Number(process.env.FUZZ_SCALE ?? '1') || 1);

/** A count of the CI run, times FUZZ_SCALE. */
export function scaled(count: number): number {
  return Math.max(1, Math.round(count * SCALE));
}

/** The seed of one target: the base seed plus a fixed offset, so targets do not share a stream. */
export function targetSeed(offset: number): number {
  return (FUZZ_SEED + offset) >>> 0;
}

function parseSeed(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const seed = Number(value);
  return Number.isInteger(seed) ? seed >>> 0 : undefined;
}

/** fast-check parameters: a fixed seed derived from the run's seed, and a scaled run count. */
export function fcParameters(offset: number, numRuns: number): { seed: number; numRuns: number } {
  return { seed: targetSeed(offset) | 0, numRuns: scaled(numRuns) };
}

/** One summary line per fuzz test: seed, counts, time, known findings. */
export function printSummary(title: string, seed: number, stats: FuzzStats, milliseconds: number): void {
  const known = [...stats.known].map(([id, entry]) => `${id}×${entry.count}`).join(' ');
  process.stdout.write(`      fuzz ${title}: seed ${seed}, ${stats.total()} inputs in ${Math.round(milliseconds)} ms, ${stats.violationCount} violations${known === '' ? '' : `, known findings ${known}`}\n`);
}

/** Fails with every violation (each already described without token bytes). */
export function assertNoViolations(title: string, stats: FuzzStats): void {
  assert.equal(stats.violationCount, 0, `${title}: ${stats.violationCount} invariant violation(s) (seed ${FUZZ_SEED}):\n${stats.violations.join('\n')}\n${stats.report(title)}`);
}

let world: Promise<FuzzWorld> | undefined;

/** The fuzz world, started once for every fuzz file of the run. */
export function sharedFuzzWorld(): Promise<FuzzWorld> {
  world ??= startFuzzWorld();
  return world;
}

/** Stops the shared world (idempotent). */
export async function closeSharedFuzzWorld(): Promise<void> {
  const running = world;
  world = undefined;
  if (running !== undefined) await (await running).close();
}
