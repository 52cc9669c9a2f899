/**
 * The check-path benchmark (issue 5): audience-guard next to a no-op grpc-js
 * baseline, started and measured the same way in the same run, on 127.0.0.1.
 * Scenarios: (a) one valid token repeated, (b) a fresh valid token per
 * request, (c) a wrong-audience token, (d) 1,000 policies loaded; then the
 * memory of 10,000 policies with 100,000 cached tokens. Runs are interleaved
 * (baseline, a, c, d, baseline, …) so machine noise hits all alike; each
 * figure is the median of the runs. See bench/README.md.
 *
 *   npm run bench [-- --runs 5 --duration 8 --quick --profile --node-options "--max-semi-space-size=8"]
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runJSONChild } from './lib/child.ts';
import { currentPublicJWK, MCP_RESOURCE, OTHER_RESOURCE, startBenchIssuer, tokenFrame, tokenPool, writePolicyFile } from './lib/fixtures.ts';
import { ensureH2load, runH2load } from './lib/h2load.ts';
import { probe } from './lib/probe.ts';
import { renderReport, type BenchResults, type Row } from './lib/report.ts';
import { startAudienceGuard, startNoopServer, type ServerProcess, type ServerOptions } from './lib/servers.ts';
import { median, medianOf, type LoadResult } from './lib/stats.ts';
import { summarizeProfile } from './profile-summary.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string' }, duration: { type: 'string' }, 'warm-up': { type: 'string' },
    'fresh-tokens': { type: 'string' }, 'rss-tokens': { type: 'string' }, 'rss-policies': { type: 'string' },
    quick: { type: 'boolean', default: false }, profile: { type: 'boolean', default: false },
    'node-options': { type: 'string', default: '' }, out: { type: 'string', default: 'bench/results' },
    'memory-node-options': { type: 'string', default: '--max-old-space-size=192 --max-semi-space-size=2' },
  },
});
const quick = values.quick;
const config = {
  runs: Number(values.runs ?? (quick ? 1 : 5)),
  durationSeconds: Number(values.duration ?? (quick ? 3 : 7)),
  warmUpSeconds: Number(values['warm-up'] ?? (quick ? 1 : 2)),
  freshPerRun: Number(values['fresh-tokens'] ?? (quick ? 5_000 : 15_000)),
  warmUpTokens: quick ? 2_000 : 5_000,
  rssTokens: Number(values['rss-tokens'] ?? (quick ? 10_000 : 100_000)),
  rssPolicies: Number(values['rss-policies'] ?? (quick ? 1_000 : 10_000)),
  clients: 4,
  streams: 32,
  /** Streams per connection when the rate is held at 50%: h2load's --rps sends a tick's requests at once, up to this many. */
  pacedStreams: 4,
  nodeArgs: values['node-options'].split(' ').filter((arg) => arg !== ''),
};
const out = values.out;
const began = Date.now();
const log = (line: string): void => { process.stderr.write(`[bench ${((Date.now() - began) / 1000).toFixed(0).padStart(4)}s] ${line}\n`); };

type H2Key = 'baseline' | 'floor' | 'a' | 'c' | 'd';
const H2_KEYS = ['baseline', 'floor', 'a', 'c', 'd'] as const;

async function main(): Promise<void> {
  ensureH2load(log);
  const startLoad = loadavg().map((load) => load.toFixed(1)).join(' ');
  await mkdir(out, { recursive: true });
  const work = await mkdtemp(join(out, 'work-'));
  const profileDir = values.profile ? join(out, 'profiles') : undefined;
  if (profileDir !== undefined) {
    await rm(profileDir, { recursive: true, force: true });
    await mkdir(profileDir);
  }
  const servers: ServerProcess[] = [];
  const serverOptions = (name: string): ServerOptions => ({
    logFile: join(work, `${name}.log`),
    nodeArgs: config.nodeArgs,
    ...(profileDir === undefined ? {} : { cpuProfileDir: profileDir }),
  });
  const startGuard = async (name: string, policyFile: string, extraArgs: readonly string[] = [], nodeArgs?: readonly string[]): Promise<ServerProcess> => {
    const server = await startAudienceGuard(name, policyFile, extraArgs, { ...serverOptions(name), ...(nodeArgs === undefined ? {} : { nodeArgs }) });
    servers.push(server);
    return server;
  };
  const auth = await startBenchIssuer();
  try {
    log(`issuer ${auth.issuer}; writing policies and ${String(Math.max(config.warmUpTokens + config.runs * config.freshPerRun, config.rssTokens))} tokens`);
    const onePolicy = await writePolicyFile(work, auth.issuer, 1);
    const manyPolicies = await writePolicyFile(work, auth.issuer, 1_000);
    const rssPolicies = await writePolicyFile(work, auth.issuer, config.rssPolicies);
    const template = await auth.issueToken({ resource: MCP_RESOURCE });
    const pool = await tokenPool(auth, template, Math.max(config.warmUpTokens + config.runs * config.freshPerRun, config.rssTokens));
    const tokensFile = join(work, 'tokens.txt');
    const framesFile = join(work, 'frames.bin');
    const jwkFile = join(work, 'jwk.json');
    await writeFile(tokensFile, pool.join('\n'));
    await writeFile(framesFile, Buffer.concat(pool.map(tokenFrame)));
    await writeFile(jwkFile, JSON.stringify(await currentPublicJWK(auth)));
    log('tokens ready; starting servers');

    const baseline = await startNoopServer('baseline', serverOptions('baseline'));
    servers.push(baseline);
    const floor = await startNoopServer('floor', serverOptions('floor'), true);
    servers.push(floor);
    const h2Servers: Record<H2Key, ServerProcess> = {
      baseline,
      floor,
      a: await startGuard('ag-a-repeated-token', onePolicy),
      c: await startGuard('ag-c-wrong-audience', onePolicy),
      d: await startGuard('ag-d-1000-policies', manyPolicies),
    };
    const labels: Record<H2Key, string> = {
      baseline: 'baseline: no-op grpc-js server',
      floor: 'floor: the same with audience-guard\'s codecs',
      a: '(a) same valid token repeated',
      c: '(c) wrong-audience token repeated',
      d: '(d) valid token, 1,000 policies loaded',
    };

    // Bodies are rebuilt each round with newly issued tokens (oidc-provider's tokens live 5 minutes).
    const bodies = async (): Promise<Record<H2Key, string>> => {
      const valid = tokenFrame(await auth.issueToken({ resource: MCP_RESOURCE }));
      const wrong = tokenFrame(await auth.issueToken({ resource: OTHER_RESOURCE }));
      const files = { valid: join(work, 'valid.bin'), wrong: join(work, 'wrong.bin') };
      await writeFile(files.valid, valid);
      await writeFile(files.wrong, wrong);
      const expectations: [H2Key, Buffer, string][] = [['baseline', valid, 'allow'], ['floor', valid, 'allow'], ['a', valid, 'allow'], ['c', wrong, 'audience_mismatch'], ['d', valid, 'allow']];
      for (const [key, frame, expected] of expectations) {
        const answer = await probe(h2Servers[key].grpcPort, frame);
        const got = answer.allowed ? 'allow' : answer.reason ?? `grpc-status ${answer.grpcStatus}`;
        if (got !== expected) throw new Error(`${labels[key]}: expected ${expected}, got ${got}`);
      }
      return { baseline: files.valid, floor: files.valid, a: files.valid, c: files.wrong, d: files.valid };
    };

    const h2Run = async (key: H2Key, bodyFile: string, rpsPerClient?: number): Promise<{ result: LoadResult; cpuMicros: number }> => {
      const server = h2Servers[key];
      const cpuBefore = server.cpuSeconds();
      const result = await runH2load({
        port: server.grpcPort, bodyFile, clients: config.clients, streams: rpsPerClient === undefined ? config.streams : config.pacedStreams,
        durationSeconds: config.durationSeconds, warmUpSeconds: config.warmUpSeconds,
        logFile: join(work, 'h2load.log'), ...(rpsPerClient === undefined ? {} : { rpsPerClient }),
      });
      const calls = result.rps * (config.durationSeconds + config.warmUpSeconds);
      return { result, cpuMicros: ((server.cpuSeconds() - cpuBefore) / calls) * 1e6 };
    };

    const maxRuns = new Map<H2Key, { result: LoadResult; cpuMicros: number }[]>();
    for (let round = 1; round <= config.runs; round++) {
      const files = await bodies();
      for (const key of H2_KEYS) {
        const run = await h2Run(key, files[key]);
        maxRuns.set(key, [...(maxRuns.get(key) ?? []), run]);
        log(`round ${String(round)}: ${labels[key]}: ${run.result.rps.toFixed(0)} calls/s, p99 ${run.result.p99Ms.toFixed(2)} ms, ${run.cpuMicros.toFixed(0)} µs CPU/call`);
      }
    }
    const rowOf = (label: string, runs: readonly { result: LoadResult; cpuMicros?: number }[], server: ServerProcess | undefined): Row => ({
      label,
      result: medianOf(runs.map((run) => run.result)),
      runs: runs.map((run) => run.result.rps),
      cpuMicros: runs[0]?.cpuMicros === undefined ? undefined : median(runs.map((run) => run.cpuMicros ?? Number.NaN)),
      peakRssMiB: server?.peakRssMiB(),
    });
    const maxRate = H2_KEYS.map((key) => rowOf(labels[key], maxRuns.get(key) ?? [], h2Servers[key]));

    const targetRps = (maxRate[0]?.result.rps ?? 0) / 2;
    const halfRuns = new Map<H2Key, { result: LoadResult; cpuMicros: number }[]>();
    for (let round = 1; round <= config.runs; round++) {
      const files = await bodies();
      for (const key of ['baseline', 'a'] as const) {
        const run = await h2Run(key, files[key], targetRps / config.clients);
        halfRuns.set(key, [...(halfRuns.get(key) ?? []), run]);
        log(`round ${String(round)} at ${targetRps.toFixed(0)} calls/s: ${labels[key]}: p50 ${run.result.p50Ms.toFixed(2)} ms, p99 ${run.result.p99Ms.toFixed(2)} ms`);
      }
    }
    const halfRate = (['baseline', 'a'] as const).map((key) => rowOf(labels[key], halfRuns.get(key) ?? [], undefined));

    // (b): every token is sent once per server, so no run can be served from the token cache.
    const fresh = await startGuard('ag-b-fresh-tokens', onePolicy);
    const generator = (server: ServerProcess, start: number, count: number): Promise<LoadResult & { wrong: number; sampled: number }> =>
      runJSONChild('bench/fresh-token-load.ts', ['--port', String(server.grpcPort), '--frames', framesFile, '--start', String(start), '--count', String(count), '--connections', String(config.clients), '--streams', String(config.streams), '--expect', 'allow']);
    const loop = (mode: 'jose' | 'node', start: number): Promise<{ rps: number }> =>
      runJSONChild('bench/verify-loop.ts', ['--tokens', tokensFile, '--jwk', jwkFile, '--start', String(start), '--count', String(config.freshPerRun), '--mode', mode, '--issuer', auth.issuer, '--audience', MCP_RESOURCE]);
    await generator(baseline, 0, config.warmUpTokens);
    await generator(fresh, 0, config.warmUpTokens);
    const freshRuns = { baseline: [] as { result: LoadResult; cpuMicros: number }[], b: [] as { result: LoadResult; cpuMicros: number }[], jose: [] as { result: LoadResult }[], node: [] as { result: LoadResult }[] };
    const asResult = (rps: number): LoadResult => ({ rps, p50Ms: Number.NaN, p99Ms: Number.NaN, requests: config.freshPerRun, failed: 0 });
    for (let round = 0; round < config.runs; round++) {
      const start = config.warmUpTokens + round * config.freshPerRun;
      const baselineCpuBefore = baseline.cpuSeconds();
      freshRuns.baseline.push({ result: await generator(baseline, start, config.freshPerRun), cpuMicros: ((baseline.cpuSeconds() - baselineCpuBefore) / config.freshPerRun) * 1e6 });
      const cpuBefore = fresh.cpuSeconds();
      const b = await generator(fresh, start, config.freshPerRun);
      if (b.failed > 0 || b.wrong > 0) throw new Error(`(b): ${String(b.failed)} failed calls, ${String(b.wrong)} of ${String(b.sampled)} sampled answers not an allow`);
      freshRuns.b.push({ result: b, cpuMicros: ((fresh.cpuSeconds() - cpuBefore) / config.freshPerRun) * 1e6 });
      freshRuns.jose.push({ result: asResult((await loop('jose', start)).rps) });
      freshRuns.node.push({ result: asResult((await loop('node', start)).rps) });
      log(`round ${String(round + 1)}: (b) ${b.rps.toFixed(0)} calls/s; jose loop ${freshRuns.jose.at(-1)?.result.rps.toFixed(0) ?? ''}/s; node:crypto loop ${freshRuns.node.at(-1)?.result.rps.toFixed(0) ?? ''}/s`);
    }
    const freshRows = [
      rowOf('baseline: no-op grpc-js server (same generator)', freshRuns.baseline, undefined),
      rowOf('(b) fresh valid token per request', freshRuns.b, fresh),
      rowOf('jose.jwtVerify, tight loop, same tokens', freshRuns.jose, undefined),
      rowOf('node:crypto verify only, tight loop, same tokens', freshRuns.node, undefined),
    ];

    // Memory: the same fill twice, with V8's default heap sizing and with a bounded heap, where heap use is close to live data.
    const memoryRun = async (name: string, nodeArgs: readonly string[]): Promise<Record<string, number | string>> => {
      log(`memory (${nodeArgs.join(' ') || 'default V8 flags'}): ${String(config.rssPolicies)} policies, ${String(config.rssTokens)} distinct tokens`);
      const server = await startGuard(name, rssPolicies, ['--token-cache-size', String(config.rssTokens)], [...config.nodeArgs, ...nodeArgs]);
      const idleRss = server.rssMiB();
      const fill = await generator(server, 0, config.rssTokens);
      const metrics = await server.metrics();
      const gauge = (metric: string): number => Number(new RegExp(`^audience_guard_${metric} (\\S+)`, 'm').exec(metrics)?.[1] ?? Number.NaN);
      const result = {
        'tokens in the cache': gauge('token_cache_entries'),
        'fill rate, calls/s': fill.rps,
        'RSS after start, MiB': idleRss,
        'RSS after the tokens, MiB': server.rssMiB(),
        'peak RSS, MiB': server.peakRssMiB(),
        'V8 heap used, MiB': gauge('nodejs_heap_size_used_bytes') / 1_048_576,
        'V8 heap total, MiB': gauge('nodejs_heap_size_total_bytes') / 1_048_576,
      };
      await server.stop();
      return result;
    };
    const memoryNodeArgs = values['memory-node-options'].split(' ').filter((arg) => arg !== '');
    const defaultMemory = await memoryRun('ag-memory', []);
    const boundedMemory = await memoryRun('ag-memory-bounded-heap', memoryNodeArgs);
    const memory: Record<string, number | string> = { policies: config.rssPolicies, 'distinct valid tokens sent': config.rssTokens };
    for (const [key, value] of Object.entries(defaultMemory)) memory[`${key} (default V8 flags)`] = value;
    for (const [key, value] of Object.entries(boundedMemory)) memory[`${key} (${memoryNodeArgs.join(' ')})`] = value;
    const peak = Math.min(Number(defaultMemory['peak RSS, MiB']), Number(boundedMemory['peak RSS, MiB']));
    const cached = Number(defaultMemory['tokens in the cache']);

    const rows = new Map([...maxRate, ...freshRows].map((row) => [row.label, row]));
    const rps = (label: string): number => rows.get(label)?.result.rps ?? Number.NaN;
    const cpu = (label: string): number => rows.get(label)?.cpuMicros ?? Number.NaN;
    const halfA = halfRate[1]?.result.p99Ms ?? Number.NaN;
    const aRatio = rps(labels.a) / rps(labels.baseline);
    const bRatio = rps(freshRows[1]!.label) / rps(freshRows[2]!.label);
    // The other reading of (b): the server CPU a fresh-token check costs beyond the no-op server, against one bare jose.jwtVerify.
    const checkWorkMicros = (freshRows[1]?.cpuMicros ?? Number.NaN) - (freshRows[0]?.cpuMicros ?? Number.NaN);
    const joseMicros = 1e6 / rps(freshRows[2]!.label);
    const cRatio = rps(labels.c) / rps(labels.a);
    const results: BenchResults = {
      environment: {
        cpus: availableParallelism(), node: process.version, 'load average at start / end': `${startLoad} / ${loadavg().map((load) => load.toFixed(1)).join(' ')}`, h2load: spawnSync('h2load', ['--version'], { encoding: 'utf8' }).stdout.trim(),
        runs: config.runs, 'h2load duration s': config.durationSeconds, 'warm-up s': config.warmUpSeconds,
        'h2load clients x streams': `${String(config.clients)} x ${String(config.streams)} (at 50%: x ${String(config.pacedStreams)})`, 'node options': config.nodeArgs.join(' ') || 'none',
      },
      maxRate,
      halfRate: { targetRps, rows: halfRate },
      fresh: freshRows,
      memory,
      targets: [
        { target: '(a) ≥ 75% of baseline throughput', measured: `${(aRatio * 100).toFixed(0)}%`, met: aRatio >= 0.75 },
        { target: '(a) p99 ≤ 5 ms at 50% of baseline max rate', measured: `${halfA.toFixed(2)} ms`, met: halfA <= 5 },
        { target: '(b) ≥ 85% of a bare jose.jwtVerify loop (throughput, gRPC included)', measured: `${(bRatio * 100).toFixed(0)}%`, met: bRatio >= 0.85 },
        { target: '(b) check work beyond the no-op server ≤ jwtVerify time / 0.85', measured: `${checkWorkMicros.toFixed(0)} µs CPU vs ${joseMicros.toFixed(0)} µs per jwtVerify (${((joseMicros / checkWorkMicros) * 100).toFixed(0)}%)`, met: joseMicros / checkWorkMicros >= 0.85 },
        { target: '(c) invalid tokens cost no more than valid ones', measured: `(c) throughput ${(cRatio * 100).toFixed(0)}% of (a); server CPU/call ${cpu(labels.c).toFixed(0)} vs ${cpu(labels.a).toFixed(0)} µs`, met: cRatio >= 0.95 },
        { target: `RSS ≤ 150 MiB, ${String(config.rssPolicies)} policies + ${String(config.rssTokens)} cached tokens`, measured: `${peak.toFixed(0)} MiB peak (lower of the two runs), ${String(cached)} tokens cached`, met: peak <= 150 && cached === config.rssTokens },
      ],
    };
    for (const server of servers) await server.stop();
    const report = renderReport(results);
    await writeFile(join(out, 'results.json'), JSON.stringify(results, null, 2));
    await writeFile(join(out, 'report.md'), report);
    process.stdout.write(`\n${report}`);
    if (profileDir !== undefined) {
      for (const file of (await readdir(profileDir)).filter((name) => name.endsWith('.cpuprofile'))) {
        const summary = summarizeProfile(JSON.parse(readFileSync(join(profileDir, file), 'utf8')) as never);
        await writeFile(join(profileDir, file.replace(/\.cpuprofile$/, '.txt')), `${summary}\n`);
      }
      log(`CPU profiles and summaries in ${profileDir}`);
    }
  } finally {
    for (const server of servers) await server.stop();
    await auth.close();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
log('done');
