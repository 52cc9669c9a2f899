/**
 * The long fuzz run (`npm run fuzz:long`; not part of `npm test`): the targets
 * of the CI suite (test/fuzz/fuzz-targets.ts) at scale, against the same world
 * — the real service on loopback with the local oidc-provider and the fuzzer's
 * own issuer, and the same policies in-process with a real key store.
 *
 *   parsers  mutated tokens, Authorization values and Envoy-encoded bytes into
 *            every parser of the core and the adapter
 *   decide   decide() with the real key resolver (with and without the token
 *            cache), every allow judged by the independent oracle
 *   policy   mutated policy documents into validator, stream reader, compiler
 *   grpc     a slice through the real gRPC server (raw bytes on loopback)
 *
 * Stops at FUZZ_LONG_COUNT cases (default 1,000,000) or after
 * FUZZ_LONG_MINUTES (default 20), whichever comes first; the targets run in
 * interleaved rounds so each gets its share either way. FUZZ_SEED picks the
 * run (default fixed). Prints counts per target, throughput, every violation
 * (by seed and case: replay one with the CI suite's helpers), known findings
 * and the service-log leak scan; exits 1 when an invariant was violated.
 */
import { startFuzzWorld } from '../test/fuzz/fuzz-world.ts';
import { FuzzStats, runCases } from '../test/fuzz/fuzz-stats.ts';
import { decideCase, grpcCase, parserCase, policyCase, wireSeeds } from '../test/fuzz/fuzz-targets.ts';
import { RawCheckClient, encodeCheckRequest } from '../test/fuzz/envoy-wire.ts';
import { LeakIndex } from '../test/fuzz/leak-index.ts';
import { checkRequest } from '../test/support/envoy-check-client.ts';
import type { MutationFuzzer } from '../test/support/mutation-fuzzer.ts';

const TOTAL = positive(process.env.FUZZ_LONG_COUNT, 1_000_000);
const MINUTES = positive(process.env.FUZZ_LONG_MINUTES, 20);
const SEED = (positive(process.env.FUZZ_SEED, 0x10f0_0001) >>> 0);
const ROUNDS = 100;

/** Share of the cases per target, and how many run at once. */
const TARGETS = [
  { name: 'parsers', share: 0.50, concurrency: 1, seedOffset: 11 },
  { name: 'decide', share: 0.40, concurrency: 1, seedOffset: 12 },
  { name: 'policy', share: 0.03, concurrency: 1, seedOffset: 13 },
  { name: 'grpc', share: 0.07, concurrency: 16, seedOffset: 14 },
] as const;

function positive(value: string | undefined, fallback: number): number {
  const parsed = Number(value);
  return value !== undefined && Number.isFinite(parsed) && parsed > 0 ? parsed : fallback;
}

function seconds(milliseconds: number): string {
  return `${(milliseconds / 1000).toFixed(1)} s`;
}

async function main(): Promise<number> {
  const started = Date.now();
  const deadline = started + MINUTES * 60_000;
  process.stdout.write(`fuzz:long seed ${SEED}, target ${TOTAL} cases, at most ${MINUTES} min, loopback only\n`);
  // The yaml library reports complex mapping keys through process.emitWarning; thousands of mutants make them.
  process.removeAllListeners('warning');
  let yamlKeyWarnings = 0;
  process.on('warning', (warning) => {
    if (warning.message.startsWith('Keys with collection values will be stringified')) yamlKeyWarnings += 1;
    else process.stderr.write(`${warning.name}: ${warning.message}\n`);
  });

  const world = await startFuzzWorld();
  const client = new RawCheckClient(world.harness.service.grpcPort);
  const seeds = wireSeeds(world);
  const sent: string[] = [];
  const stats = new Map(TARGETS.map((target) => [target.name, new FuzzStats(50)]));
  const busy = new Map(TARGETS.map((target) => [target.name, 0]));
  const quota = new Map(TARGETS.map((target) => [target.name, Math.round(TOTAL * target.share)]));

  const run = (name: string, fuzzer: MutationFuzzer, caseStats: FuzzStats): void | Promise<void> => {
    switch (name) {
      case 'parsers': parserCase(world, fuzzer, seeds, caseStats); return;
      case 'decide': return decideCase(world, fuzzer, caseStats, { oidcResign: fuzzer.random.chance(0.2) });
      case 'policy': policyCase(world, fuzzer, caseStats); return;
      default: return grpcCase(world, fuzzer, client, seeds, caseStats, { oidcResign: fuzzer.random.chance(0.2), record: false, sent });
    }
  };

  for (let round = 1; round <= ROUNDS && Date.now() < deadline; round += 1) {
    for (const target of TARGETS) {
      const total = stats.get(target.name)!;
      const count = Math.round((quota.get(target.name)! * round) / ROUNDS) - total.cases;
      if (count <= 0) continue;
      const before = Date.now();
      // Cases continue where the last round stopped (firstCase), so every case of the run is distinct.
      await runCases(count, (SEED + target.seedOffset) >>> 0, target.concurrency, (fuzzer, caseStats) => run(target.name, fuzzer, caseStats), {
        firstCase: total.cases, stats: total, deadline,
      });
      busy.set(target.name, busy.get(target.name)! + Date.now() - before);
    }
    if (round % 5 === 0 || Date.now() >= deadline) {
      const cases = [...stats.values()].reduce((sum, entry) => sum + entry.cases, 0);
      const violations = [...stats.values()].reduce((sum, entry) => sum + entry.violationCount, 0);
      const rss = Math.round(process.memoryUsage().rss / 1024 / 1024);
      process.stdout.write(`  round ${round}/${ROUNDS}: ${cases} cases in ${seconds(Date.now() - started)} (${Math.round(cases / ((Date.now() - started) / 1000))}/s), ${violations} violations, rss ${rss} MiB\n`);
    }
  }

  // The service is still answering, and its logs hold no piece of any token it was sent.
  const alive = await client.check(encodeCheckRequest(checkRequest({ headers: { authorization: `Bearer ${world.seeds[0]!.token}` } })));
  const stillServing = alive.kind === 'response' && (alive.response.status?.code ?? 0) === 0;
  const logText = world.harness.logs.map((line) => JSON.stringify(line)).join('\n');
  const leaks = new LeakIndex(logText).leaks([...sent, ...world.seeds.map((seed) => seed.token)]);

  const elapsed = Date.now() - started;
  const cases = [...stats.values()].reduce((sum, entry) => sum + entry.cases, 0);
  const lines = [
    '',
    `fuzz:long finished: ${cases} cases in ${seconds(elapsed)} (${Math.round(cases / (elapsed / 1000))} cases/s overall), seed ${SEED}`,
  ];
  for (const target of TARGETS) {
    const count = stats.get(target.name)!.cases;
    const time = busy.get(target.name)!;
    lines.push(`  ${target.name.padEnd(8)} ${String(count).padStart(8)} cases, ${String(stats.get(target.name)!.total()).padStart(9)} target inputs, ${seconds(time).padStart(8)}, ${Math.round(count / Math.max(0.001, time / 1000))} cases/s`);
  }
  lines.push(`  service: ${stillServing ? 'still serving (valid token allowed)' : 'NOT answering as expected'}; ${world.harness.logs.length} log lines, ${sent.length} tokens sent over gRPC, ${leaks.length} with bytes in the logs`);
  lines.push(`  yaml complex-key warnings suppressed: ${yamlKeyWarnings}`);
  const all = new FuzzStats(200);
  for (const entry of stats.values()) all.merge(entry);
  lines.push(all.report('all targets', 40));
  process.stdout.write(`${lines.join('\n')}\n`);

  client.close();
  await world.close();
  return all.violationCount === 0 && leaks.length === 0 && stillServing ? 0 : 1;
}

process.exitCode = await main();
