/**
 * Instructions per check of check-path-cpu.ts's scenarios, counted by
 * valgrind's callgrind: each scenario runs twice, with `--calls N` and
 * `--calls 5N`, and the difference ÷ 4N is what one call costs (start-up,
 * signing and warm-up cancel out). Repeatable on a machine busy with other
 * work, where CPU time per call moves by ±20%. Slow: about a minute per run.
 *
 *   npx node bench/check-path/instruction-count.ts [--calls 1000] [--no-decision-cache] [a c floor b]
 *
 * `--single-threaded` keeps V8's compiler and GC on the main thread, so their
 * work is counted in the same order every run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  options: { calls: { type: 'string', default: '1000' }, 'no-decision-cache': { type: 'boolean', default: false } },
  allowPositionals: true,
});
const calls = Number(values.calls);
const dir = mkdtempSync(join(tmpdir(), 'ag-callgrind-'));
const script = new URL('check-path-cpu.ts', import.meta.url).pathname;

function instructions(scenario: string, count: number): number {
  const run = spawnSync('valgrind', [
    '--tool=callgrind', `--callgrind-out-file=${join(dir, `${scenario}-${String(count)}`)}`,
    process.execPath, '--single-threaded', script, '--only', scenario, '--calls', String(count),
    ...(values['no-decision-cache'] ? ['--no-decision-cache'] : []),
  ], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  const refs = /Collected : (\d+)/.exec(run.stderr)?.[1];
  if (run.status !== 0 || refs === undefined) throw new Error(`callgrind run of ${scenario} failed: ${run.stderr.slice(-2_000)}`);
  return Number(refs);
}

try {
  for (const scenario of positionals.length > 0 ? positionals : ['floor', 'a', 'c']) {
    const few = instructions(scenario, calls);
    const many = instructions(scenario, 5 * calls);
    process.stdout.write(`${scenario}: ${((many - few) / (4 * calls)).toFixed(0)} instructions per call\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
