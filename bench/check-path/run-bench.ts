/**
 * The check-path benchmark (issue 5): audience-guard next to a no-op grpc-js
 * baseline, started and measured the same way in the same run, on 127.0.0.1.
 * Scenarios: (a) one valid token repeated, (b) a fresh valid token per
 * request, (c) a wrong-audience token, (d) 1,000 policies loaded; then the
 * memory of 10,000 policies with 100,000 cached tokens. Runs are interleaved
 * (baseline, a, c, d, baseline, …) so machine noise hits all alike; each
 * figure is the median of the runs. With `--compare <git-ref>` it runs the
 * A/B mode instead: (a), (b), (c), (d) on this checkout and on that commit
 * side by side (compare-scenarios.ts). See bench/README.md.
 *
 *   npm run bench [-- --runs 5 --duration 7 --quick --profile --node-options "--max-semi-space-size=8"]
 *   npm run bench -- --compare main [--runs 5 …]
 *   npm run bench -- --scenario mcp [--runs 5 …]   (only (a) next to (e), per-tool scopes with a 1 KiB body)
 *   npm run bench -- --help
 *   npm run bench -- --tracing 0.01        # every audience-guard server traces, 1% of checks sampled
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BenchContext, type BenchConfig } from './bench-context.ts';
import { noRegression, renderComparison, type ComparisonResults } from './compare-report.ts';
import { compareScenarios } from './compare-scenarios.ts';
import { fixedBodyScenarios } from './fixed-body-scenarios.ts';
import { currentPublicJWK, MCP_RESOURCE, startBenchIssuer, tokenFrame, tokenPool, writePolicyFile } from '../common/fixtures.ts';
import { freshTokenScenario } from './fresh-scenario.ts';
import { ensureH2load } from '../common/h2load.ts';
import { mcpScenario } from './mcp-scenario.ts';
import { startOTLPSink, type OTLPSink } from '../common/otlp-sink.ts';
import { memoryScenario } from './memory-scenario.ts';
import { renderReport, type BenchResults } from './report.ts';
import { checkOut, describeThisCheckout, type OtherCheckout } from './other-checkout.ts';
import { summarize } from './targets.ts';
import { summarizeProfile } from './profile-summary.ts';

const { values } = parseArgs({
  options: {
    compare: { type: 'string' }, runs: { type: 'string' }, duration: { type: 'string' }, 'warm-up': { type: 'string' },
    'fresh-tokens': { type: 'string' }, 'rss-tokens': { type: 'string' }, 'rss-policies': { type: 'string' },
    quick: { type: 'boolean', default: false }, profile: { type: 'boolean', default: false },
    'node-options': { type: 'string', default: '' }, out: { type: 'string', default: 'bench/results' },
    'memory-node-options': { type: 'string', default: '--max-old-space-size=160 --max-semi-space-size=2' },
    scenario: { type: 'string', default: 'all' }, help: { type: 'boolean', default: false }, tracing: { type: 'string' },
    only: { type: 'string' },
  },
});
if (values.help) {
  process.stdout.write([
    'npm run bench -- [--quick] [--runs N] [--duration S] [--warm-up S] [--profile] [--node-options "…"] [--out DIR]',
    '  --scenario all   every scenario against the no-op baseline (default): report.md, results.json',
    '  --scenario mcp   (a) next to (e), a 1 KiB tools/call body under spec.mcp rules: mcp.md',
    '  --compare REF    the A/B mode against another commit: compare.md, compare.json',
    '  --tracing RATIO  every audience-guard server traces, exporting to a local OTLP sink, RATIO of checks sampled',
    '',
  ].join('\n'));
  process.exit(0);
}
if (!['all', 'mcp'].includes(values.scenario)) throw new Error(`--scenario: expected all or mcp, got ${values.scenario}`);
/** `--tracing RATIO`: the sampling ratio every audience-guard server runs with; absent: tracing off. */
const tracingRatio = values.tracing === undefined ? undefined : Number(values.tracing);
if (tracingRatio !== undefined && !(tracingRatio >= 0 && tracingRatio <= 1)) throw new Error(`--tracing: a ratio from 0 to 1, got ${String(values.tracing)}`);
const quick = values.quick;
const words = (text: string): string[] => text.split(' ').filter((word) => word !== '');
const config: BenchConfig = {
  runs: Number(values.runs ?? (quick ? 1 : 5)),
  durationSeconds: Number(values.duration ?? (quick ? 3 : 7)),
  warmUpSeconds: Number(values['warm-up'] ?? (quick ? 1 : 2)),
  freshPerRun: Number(values['fresh-tokens'] ?? (quick ? 5_000 : 15_000)),
  warmUpTokens: quick ? 2_000 : 5_000,
  rssTokens: Number(values['rss-tokens'] ?? (quick ? 10_000 : 100_000)),
  rssPolicies: Number(values['rss-policies'] ?? (quick ? 1_000 : 10_000)),
  clients: 4,
  streams: 32,
  pacedStreams: 4,
  nodeArgs: words(values['node-options']),
  memoryNodeArgs: words(values['memory-node-options']),
};
// Absolute: the A/B mode's other server runs from another folder and reads the policy files by this path.
const out = resolve(values.out);
const began = Date.now();
const log = (line: string): void => { process.stderr.write(`[bench ${((Date.now() - began) / 1000).toFixed(0).padStart(4)}s] ${line}\n`); };
const loads = (): string => loadavg().map((load) => load.toFixed(1)).join(' ');

async function summarizeProfiles(profileDir: string): Promise<void> {
  for (const file of (await readdir(profileDir)).filter((name) => name.endsWith('.cpuprofile'))) {
    const summary = summarizeProfile(JSON.parse(await readFile(join(profileDir, file), 'utf8')) as never);
    await writeFile(join(profileDir, file.replace(/\.cpuprofile$/, '.txt')), `${summary}\n`);
  }
  log(`CPU profiles and summaries in ${profileDir}`);
}

/** What the report says about the run's machine and settings. */
function environment(startLoad: string): Record<string, string | number> {
  return {
    cpus: availableParallelism(), node: process.version, 'load average at start / end': `${startLoad} / ${loads()}`,
    h2load: spawnSync('h2load', ['--version'], { encoding: 'utf8' }).stdout.trim(),
    runs: config.runs, 'h2load duration s': config.durationSeconds, 'warm-up s': config.warmUpSeconds,
    'h2load clients x streams': `${String(config.clients)} x ${String(config.streams)} (paced: x ${String(config.pacedStreams)})`,
    'node options': config.nodeArgs.join(' ') || 'none',
    tracing: tracingRatio === undefined ? 'off' : `on, traceidratio ${String(tracingRatio)} (spans exported: ${String(sink?.spans() ?? 0)})`,
  };
}

/** Every scenario on this checkout, against the no-op baseline; writes report.md and results.json. */
async function fullRun(context: BenchContext, onePolicy: string, startLoad: string): Promise<string> {
  // `--only fixed|fresh|memory`: one part of the run (the others' rows are left out of the summary).
  const part = (name: string): boolean => values.only === undefined || values.only === name;
  const fixed = part('fixed') ? await fixedBodyScenarios(context, onePolicy) : { maxRate: [], halfRate: { targetRps: Number.NaN, rows: [] } };
  const fresh = part('fresh') ? await freshTokenScenario(context, onePolicy) : [];
  const memory = part('memory') ? await memoryScenario(context) : { figures: {}, peakRssMiB: Number.NaN, cached: Number.NaN };
  await context.stopAll();
  const results: BenchResults = {
    environment: environment(startLoad),
    maxRate: fixed.maxRate,
    halfRate: fixed.halfRate,
    fresh,
    memory: memory.figures,
    targets: summarize({ fixed, fresh, memory, rss: { policies: config.rssPolicies, tokens: config.rssTokens } }),
  };
  const report = renderReport(results);
  await writeFile(join(out, 'results.json'), JSON.stringify(results, null, 2));
  await writeFile(join(out, 'report.md'), report);
  return report;
}

/** Scenario (e) next to (a) only; writes mcp.md. */
async function mcpRun(context: BenchContext, onePolicy: string, startLoad: string): Promise<string> {
  const rows = await mcpScenario(context, onePolicy);
  await context.stopAll();
  const report = [
    `Environment: ${Object.entries(environment(startLoad)).map(([key, value]) => `${key} ${String(value)}`).join(', ')}`,
    '',
    '| scenario | calls/s (median) | p50 ms | p99 ms | server CPU µs/call |',
    '|---|---|---|---|---|',
    ...rows.map((row) => `| ${row.label} | ${row.result.rps.toFixed(0)} | ${row.result.p50Ms.toFixed(2)} | ${row.result.p99Ms.toFixed(2)} | ${(row.cpuMicros ?? Number.NaN).toFixed(0)} |`),
    '',
  ].join('\n');
  await writeFile(join(out, 'mcp.md'), report);
  return report;
}

/** The A/B mode: this checkout and `other` side by side; writes compare.md and compare.json. */
async function comparison(context: BenchContext, onePolicy: string, startLoad: string, other: OtherCheckout): Promise<string> {
  const compared = await compareScenarios(context, onePolicy, other.root);
  await context.stopAll();
  const results: ComparisonResults = { environment: environment(startLoad), ref: other.label, here: describeThisCheckout(), ...compared };
  const report = renderComparison(results);
  await writeFile(join(out, 'compare.json'), JSON.stringify({ ...results, noRegression: noRegression(results) }, null, 2));
  await writeFile(join(out, 'compare.md'), report);
  return report;
}

let sink: OTLPSink | undefined;

/**
 * Tracing for every audience-guard server this run starts (they inherit the
 * environment): `--tracing` through its variable, the standard OTEL_* ones,
 * and a local collector that takes the spans.
 */
async function traceServers(ratio: number): Promise<void> {
  sink = await startOTLPSink();
  Object.assign(process.env, {
    AUDIENCE_GUARD_TRACING: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint,
    OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: String(ratio),
  });
  log(`tracing on: ${String(ratio * 100)}% of checks sampled, exported to ${sink.endpoint}`);
}

async function main(): Promise<void> {
  ensureH2load(log);
  if (tracingRatio !== undefined) await traceServers(tracingRatio);
  const startLoad = loads();
  await mkdir(out, { recursive: true });
  const other = values.compare === undefined ? undefined : checkOut(values.compare);
  if (other !== undefined) log(`A/B: ref ${other.label} checked out in ${other.root}; here ${describeThisCheckout()}`);
  const work = await mkdtemp(join(out, 'work-'));
  const profileDir = values.profile ? join(out, 'profiles') : undefined;
  if (profileDir !== undefined) {
    await rm(profileDir, { recursive: true, force: true });
    await mkdir(profileDir);
  }
  const auth = await startBenchIssuer();
  const context = new BenchContext(config, work, auth, log, profileDir);
  try {
    const freshTokens = config.warmUpTokens + config.runs * config.freshPerRun;
    // Scenario (e) alone sends one token per round: no pool to sign.
    const poolSize = other !== undefined ? freshTokens
      : values.scenario === 'mcp' ? 1
        : values.only === undefined || values.only === 'memory' ? Math.max(freshTokens, config.rssTokens) : freshTokens;
    log(`issuer ${auth.issuer}; signing ${String(poolSize)} tokens`);
    const pool = await tokenPool(auth, await auth.issueToken({ resource: MCP_RESOURCE }), poolSize);
    await writeFile(context.pool.tokens, pool.join('\n'));
    await writeFile(context.pool.frames, Buffer.concat(pool.map(tokenFrame)));
    await writeFile(context.pool.jwk, JSON.stringify(await currentPublicJWK(auth)));
    const onePolicy = await writePolicyFile(work, auth.issuer, 1);
    const report = other !== undefined ? await comparison(context, onePolicy, startLoad, other)
      : values.scenario === 'mcp' ? await mcpRun(context, onePolicy, startLoad) : await fullRun(context, onePolicy, startLoad);
    process.stdout.write(`\n${report}`);
    if (profileDir !== undefined) await summarizeProfiles(profileDir);
  } finally {
    await context.stopAll();
    await auth.close();
    await sink?.close();
    await rm(work, { recursive: true, force: true });
    other?.remove();
  }
}

await main();
log('done');
