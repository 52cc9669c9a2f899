/** The targets, judged from the measured rows (bench/README.md explains each reading). */
import { FRESH_LABELS } from './fresh-scenario.ts';
import { LABELS, type FixedBodyResults } from './fixed-body-scenarios.ts';
import type { BenchResults, Row } from './report.ts';

export function judgeTargets(fixed: FixedBodyResults, fresh: readonly Row[], memory: { peakRssMiB: number; cached: number }, rss: { policies: number; tokens: number }): BenchResults['targets'] {
  const rows = new Map([...fixed.maxRate, ...fresh].map((row) => [row.label, row]));
  const rps = (label: string): number => rows.get(label)?.result.rps ?? Number.NaN;
  const cpu = (label: string): number => rows.get(label)?.cpuMicros ?? Number.NaN;
  const percent = (ratio: number): string => `${(ratio * 100).toFixed(0)}%`;

  const aRatio = rps(LABELS.a) / rps(LABELS.baseline);
  const halfP99 = fixed.halfRate.rows.find((row) => row.label === LABELS.a)?.result.p99Ms ?? Number.NaN;
  const bRatio = rps(FRESH_LABELS.b) / rps(FRESH_LABELS.jose);
  // The other reading of (b): server CPU a fresh-token check costs beyond the no-op server, against one bare jose.jwtVerify.
  const checkWork = cpu(FRESH_LABELS.b) - cpu(FRESH_LABELS.baseline);
  const jose = 1e6 / rps(FRESH_LABELS.jose);
  const cRatio = rps(LABELS.c) / rps(LABELS.a);
  return [
    { target: '(a) ≥ 75% of baseline throughput', measured: percent(aRatio), met: aRatio >= 0.75 },
    { target: '(a) p99 ≤ 5 ms at 50% of baseline max rate', measured: `${halfP99.toFixed(2)} ms`, met: halfP99 <= 5 },
    { target: '(b) ≥ 85% of a bare jose.jwtVerify loop (throughput, gRPC included)', measured: percent(bRatio), met: bRatio >= 0.85 },
    { target: '(b) check work beyond the no-op server ≤ jwtVerify time / 0.85', measured: `${checkWork.toFixed(0)} µs CPU vs ${jose.toFixed(0)} µs per jwtVerify (${percent(jose / checkWork)})`, met: jose / checkWork >= 0.85 },
    { target: '(c) invalid tokens cost no more than valid ones', measured: `(c) throughput ${percent(cRatio)} of (a); server CPU/call ${cpu(LABELS.c).toFixed(0)} vs ${cpu(LABELS.a).toFixed(0)} µs`, met: cRatio >= 0.95 },
    { target: `RSS ≤ 150 MiB, ${String(rss.policies)} policies + ${String(rss.tokens)} cached tokens`, measured: `${memory.peakRssMiB.toFixed(0)} MiB peak (lower of the two runs), ${String(memory.cached)} tokens cached`, met: memory.peakRssMiB <= 150 && memory.cached === rss.tokens },
  ];
}
