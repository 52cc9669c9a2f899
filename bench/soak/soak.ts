/**
 * Load and soak (issue 7, item 3): holds audience-guard's check path at a
 * steady rate for a set time with a mix of valid, fresh, invalid and
 * explicitly routed requests while its policy files change underneath and the
 * issuer rotates its signing key, judges every answer, and fails when an
 * invariant breaks. bench/README.md ("Soak") has the mix, the rule for
 * requests that race a policy change, and the figures.
 *
 *   npm run soak [-- --minutes 10 --rate 750 --policies 100]
 *   npm run soak -- --calibrate --minutes 1 --max-in-flight 64   # closed loop: what this machine sustains
 *   npm run soak -- --mix deny-heavy --log-reader stalled        # a deny flood while nobody reads the server's stdout
 *
 * Everything runs on 127.0.0.1: a local oidc-provider (in this process) and
 * `audience-guard serve` (the real CLI, a child process, --log-level warn).
 * Exit code 0 when every invariant held, 1 when one failed, 2 on bad flags.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { startAuthorizationServer, type LocalAuthorizationServer } from '../../test/support/authorization-server.ts';
import { PolicyChanger } from './soak-changes.ts';
import { rejectionsFromLog, rejectionsFromMetrics } from './soak-rejections.ts';
import { SoakGrpcClient, type CallResult } from './soak-client.ts';
import { parseSoakFlags, USAGE, type SoakConfig } from './soak-config.ts';
import { cpuPressure, gauge, loadAverage, metricSum, processCpuSeconds, sourceState } from './soak-environment.ts';
import { Generations, observe } from './soak-expect.ts';
import { LeakScanner } from './soak-leaks.ts';
import { SoakLoad } from './soak-load.ts';
import { RequestMix, seeded } from './soak-mix.ts';
import { FILES, PolicyFolder, resourceOf } from './soak-policies.ts';
import { latencyPercentiles, renderSummary, rssFlatness, summarizeRss, windowLine, type Invariant, type RssSample, type WindowRow } from './soak-report.ts';
import { buildFreshPool, buildRequestSet, TokenMint } from './soak-requests.ts';
import { LogMonitor, serverEntry, SoakServer } from './soak-server.ts';

const parsed = parseSoakFlags(process.argv.slice(2));
if (!parsed.ok) {
  if (parsed.error !== undefined) process.stderr.write(`soak: ${parsed.error}\n`);
  process[parsed.error === undefined ? 'stdout' : 'stderr'].write(`${USAGE}\n`);
  process.exit(parsed.error === undefined ? 0 : 2);
}
const config: SoakConfig = parsed.config;
const runSeconds = config.minutes * 60;
const began = performance.now();
const log = (line: string): void => { process.stdout.write(`[soak ${((performance.now() - began) / 1000).toFixed(0).padStart(5)}s] ${line}\n`); };
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const random = seeded(config.seed);

async function main(): Promise<number> {
  const entry = serverEntry(config.server);
  const source = sourceState();
  const start = { load: loadAverage(), pressure: cpuPressure() };
  log(`server: ${entry.note}; source ${source}`);
  log(`${config.calibrate ? 'calibration (closed loop)' : `${String(config.rate)} checks/s`} for ${String(config.minutes)} min, ${String(config.policies)} policies, ${config.mix} mix, stdout ${config.logReader}, ${String(availableParallelism())} CPUs, load average ${start.load}, CPU pressure ${start.pressure}`);

  const work = await mkdtemp(join(tmpdir(), 'audience-guard-soak-'));
  const policyDir = join(work, 'policies');
  await mkdir(policyDir);
  let auth: LocalAuthorizationServer | undefined;
  let server: SoakServer | undefined;
  let client: SoakGrpcClient | undefined;
  const stopEverything = async (): Promise<void> => {
    client?.close();
    await server?.stop();
    await auth?.close();
    await rm(work, { recursive: true, force: true });
  };
  const onSignal = (signal: string): void => {
    log(`${signal}: stopping`);
    void stopEverything().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // Whatever happens to this process, the server it started goes with it.
  process.once('exit', () => { server?.kill(); });

  try {
    // ---- issuer, policies, tokens ----------------------------------------------------------
    const lifetime = runSeconds + 1800;
    auth = await startAuthorizationServer({ resources: [{ resource: resourceOf('svc-000'), scopes: ['mcp:tools', 'mcp:write'] }] });
    const issuer = auth;
    const folder = new PolicyFolder(policyDir, issuer.issuer, config.policies, random);
    await folder.writeAll();
    const mint = await TokenMint.create(issuer, resourceOf('svc-000'));
    log(`issuer ${issuer.issuer}; ${String(folder.state.size)} policies in ${String(FILES)} files (${String(folder.universe.length)} names in play); signing tokens`);
    const firstSet = await buildRequestSet(mint, 0, folder.universe, lifetime);
    const mix = new RequestMix(folder, random, firstSet, await buildFreshPool(mint, 0, folder.universe, config.freshPool, lifetime, {
      progress: (done) => { if (done % 5120 === 0) log(`  ${String(done)} of ${String(config.freshPool)} fresh tokens`); },
    }), config.mix);
    if (mix.floodTarget !== undefined) log(`deny-heavy mix: half of the wrong-audience tokens go to ${mix.floodTarget}`);
    const scanner = new LeakScanner();
    scanner.add(mint.issued);
    log(`${String(mint.issued.length)} bearer values made (${String(scanner.indexed)} distinct segments indexed for the leak scan)`);

    // ---- the server --------------------------------------------------------------------------
    const monitor = new LogMonitor(scanner);
    server = await SoakServer.start({ script: entry.script, policyDir, monitor });
    const guard = server;
    log(`audience-guard ready: pid ${String(guard.pid)}, gRPC 127.0.0.1:${String(guard.grpcPort)}, admin 127.0.0.1:${String(guard.adminPort)}, RSS ${guard.rssMiB().toFixed(1)} MiB`);
    client = new SoakGrpcClient(guard.grpcPort, config.connections);
    const grpc = client;
    const call = (frame: Buffer): Promise<CallResult> => new Promise((resolve) => { grpc.call(frame, resolve); });
    // The issuer's keys are fetched when the policies load; wait until a valid token is allowed.
    const warmUp = firstSet.repeated.get([...folder.state.keys()][0]!)![0]!;
    for (let attempt = 0; ; attempt++) {
      const result = await call(warmUp.frame);
      if (result.message !== undefined && observe(result.message).allow) break;
      if (attempt > 200) throw new Error('a valid token was not allowed within 10 s of readiness');
      await sleep(50);
    }

    // ---- the run --------------------------------------------------------------------------------
    let loadStart = performance.now();
    const elapsed = (): number => (performance.now() - loadStart) / 1000;
    const generations = new Generations(folder.state);
    const load = new SoakLoad(grpc, generations, () => mix.next(), elapsed);
    const rejections = config.logReader === 'stalled' ? rejectionsFromMetrics(guard) : rejectionsFromLog(monitor);
    const changer = new PolicyChanger(folder, generations, rejections, {
      call,
      probed: (result, what) => {
        load.counts.probes += 1;
        if (result.grpcStatus !== '0' || result.message === undefined) load.recordError(what, result);
        else if (!observe(result.message).allow) load.counts.probeDenies += 1;
      },
      log,
    }, random);
    const rotation = { at: Number.NaN, readyAt: Number.NaN, firstJwksMs: Number.NaN };
    const rotate = async (): Promise<void> => {
      rotation.at = elapsed();
      await issuer.rotateSigningKey();
      // The issuer is rebuilt around the new key; its first answer is slow, as a real issuer's is not.
      const jwksStarted = performance.now();
      await (await fetch(issuer.jwksUri)).text();
      rotation.firstJwksMs = performance.now() - jwksStarted;
      // New-key tokens, signed slowly (about 160 a second) so this process does not starve the
      // server of CPU; every old-key token stays valid (the old key stays published).
      const pace = { pace: { batch: 8, pauseMs: 50 } };
      const set = await buildRequestSet(mint, 1, folder.universe, lifetime, pace);
      const pool = await buildFreshPool(mint, 1, folder.universe, folder.universe.length * 10, lifetime, pace);
      scanner.add(mint.issued);
      mix.addKey(set, pool);
      rotation.readyAt = elapsed();
      log(`issuer rotated its signing key at ${rotation.at.toFixed(0)} s (its JWKS answered in ${rotation.firstJwksMs.toFixed(0)} ms); new-key tokens in the mix from ${rotation.readyAt.toFixed(0)} s`);
    };

    const rss: RssSample[] = [{ t: 0, rssMiB: guard.rssMiB() }];
    const windows: WindowRow[] = [];
    const ownLag = monitorEventLoopDelay({ resolution: 10 });
    const cpu = { server: processCpuSeconds(guard.pid), own: process.cpuUsage() };
    loadStart = performance.now();
    let lastWindowAt = loadStart;
    ownLag.enable();
    const closeWindow = async (): Promise<void> => {
      const now = performance.now();
      const seconds = (now - lastWindowAt) / 1000;
      lastWindowAt = now;
      const latencies = load.takeWindow();
      const generatorLagMaxMs = ownLag.max / 1e6;
      ownLag.reset();
      const { counts } = load;
      const at = { t: elapsed(), rpcErrors: counts.rpcErrors, wrong: counts.wrong, raced: counts.raced, skipped: counts.skipped, rssMiB: guard.rssMiB(), policies: folder.state.size, generation: generations.current };
      const metrics = await guard.metrics();
      const row: WindowRow = {
        ...at, answered: latencies.length, rps: latencies.length / seconds, ...latencyPercentiles(latencies), generatorLagMaxMs,
        heapMiB: gauge(metrics, 'audience_guard_nodejs_heap_size_used_bytes') / 1048576,
        serverLagMaxMs: gauge(metrics, 'audience_guard_nodejs_eventloop_lag_max_seconds') * 1000,
      };
      windows.push(row);
      log(windowLine(row, changer.stats.done, changer.stats.afterInvalid));
    };
    const timers = [
      setInterval(() => {
        const sample = guard.rssMiB();
        if (!Number.isNaN(sample)) rss.push({ t: elapsed(), rssMiB: sample });
      }, 5_000),
      setInterval(() => { void closeWindow(); }, config.reportEverySeconds * 1000),
    ];
    const stopChanges = new AbortController();
    const changes = config.calibrate ? Promise.resolve() : changer.run({ everySeconds: config.changeEverySeconds, invalidEvery: config.invalidEvery }, stopChanges.signal);
    let rotated: Promise<void> | undefined;
    if (config.logReader === 'stalled') {
      guard.stallLogs();
      log('stdout: no longer read (a stalled log reader) until the load ends');
    }
    await load.run({ rate: config.calibrate ? undefined : config.rate, maxInFlight: config.maxInFlight }, loadStart, loadStart + runSeconds * 1000, () => !guard.running, (now) => {
      if (config.rotateKey && rotated === undefined && now - loadStart >= runSeconds * 500) rotated = rotate();
    });
    const loadSeconds = elapsed();
    const serverDied = !guard.running;
    stopChanges.abort();
    for (const timer of timers) clearInterval(timer);
    if (performance.now() - lastWindowAt > 5_000) await closeWindow(); // the last, partial window
    log(serverDied ? 'the server exited during the run' : 'load finished; waiting for the last answers');
    const lost = await load.drain(10_000);
    await rotated;
    await changes;
    rss.push({ t: elapsed(), rssMiB: guard.rssMiB() });
    const peakRss = guard.peakRssMiB();
    const serverCpu = processCpuSeconds(guard.pid) - cpu.server;
    const ownCpu = process.cpuUsage(cpu.own);
    const metrics = serverDied ? '' : await guard.metrics();
    if (config.logReader === 'stalled') guard.resumeLogs();
    grpc.close();
    const exit = await guard.stop();
    await sleep(200); // the last stdout lines
    await issuer.close();
    await rm(work, { recursive: true, force: true });

    // ---- results ----------------------------------------------------------------------------------
    const { counts } = load;
    const { stats } = changer;
    const { p50Ms, p99Ms, maxMs } = latencyPercentiles(load.latencies);
    const rssSummary = summarizeRss(rss, Math.min(runSeconds, loadSeconds));
    const flatness = rssFlatness(rss, loadSeconds);
    const propagation = [...stats.propagationMs].sort((a, b) => a - b);
    const throughput = counts.answered / loadSeconds;
    const sum = (pattern: RegExp): number => metricSum(metrics, pattern);
    const gcCount = (kind: string): number => sum(new RegExp(`^audience_guard_nodejs_gc_duration_seconds_count\\{kind="${kind}"\\} (\\S+)`, 'gm'));
    const gcSeconds = (kind: string): number => sum(new RegExp(`^audience_guard_nodejs_gc_duration_seconds_sum\\{kind="${kind}"\\} (\\S+)`, 'gm'));
    const majorOver100ms = sum(/^audience_guard_nodejs_gc_duration_seconds_bucket\{le="\+Inf",kind="major"\} (\S+)/gm) - sum(/^audience_guard_nodejs_gc_duration_seconds_bucket\{le="0\.1",kind="major"\} (\S+)/gm);
    const invariants: Invariant[] = [
      { name: 'RPC errors = 0', measured: `${String(counts.rpcErrors)} (+${String(lost)} unanswered at the end)`, ok: counts.rpcErrors === 0 && lost === 0 },
      { name: 'wrong decisions = 0', measured: `${String(counts.wrong)} (${String(counts.wrongAllows)} of them allows)`, ok: counts.wrong === 0 },
      ...config.calibrate ? [] : [
        { name: 'RSS growth after warm-up ≤ 10%', measured: `${rssSummary.growthPct.toFixed(1)}% (${rssSummary.warmUpEndMiB.toFixed(1)} → ${rssSummary.endMiB.toFixed(1)} MiB)`, ok: rssSummary.growthPct <= 10 },
        ...config.mix === 'deny-heavy' ? [{ name: 'highest RSS after a 60 s warm-up within 10% of the lowest', measured: `${flatness.spreadPct.toFixed(1)}% (${flatness.minMiB.toFixed(1)} – ${flatness.maxMiB.toFixed(1)} MiB)`, ok: flatness.spreadPct <= 10 }] : [],
        { name: 'no token bytes in the server output', measured: `${String(scanner.leaks)} matches in ${String(scanner.lines)} lines`, ok: scanner.leaks === 0 },
        { name: 'server ran throughout and exited 0 on SIGTERM', measured: serverDied ? 'exited during the run' : `exit code ${String(exit.code)}${exit.signal === null ? '' : `, signal ${exit.signal}`}`, ok: !serverDied && exit.code === 0 },
        { name: 'every policy change seen in force (probed for 10 s after its write)', measured: `${String(stats.done - stats.unconfirmed)} of ${String(stats.done)}`, ok: stats.unconfirmed === 0 },
        { name: `every invalid file rejected and ${config.logReader === 'stalled' ? 'reported (rejected-policies gauge: stdout not read)' : 'logged'}`, measured: `${String(stats.invalidWritten - stats.invalidNotReported)} of ${String(stats.invalidWritten)}`, ok: stats.invalidNotReported === 0 },
        { name: 'no unexpected error/fatal log lines', measured: String(monitor.unexpectedCount + monitor.notJSON), ok: monitor.unexpectedCount === 0 && monitor.notJSON === 0 },
      ],
    ];
    const summary = {
      environment: {
        date: new Date().toISOString().slice(0, 16).replace('T', ' '),
        CPUs: availableParallelism(), node: process.version, server: entry.note.split(':')[0] ?? entry.note, source, mix: config.mix, stdout: config.logReader,
        'load average at start / end': `${start.load} / ${loadAverage()}`,
        'CPU pressure (PSI some avg60) at start / end': `${start.pressure} / ${cpuPressure()}`,
      },
      totals: {
        'duration (s)': Number(loadSeconds.toFixed(1)),
        'offered rate (checks/s)': config.calibrate ? 'closed loop' : config.rate,
        'throughput (checks/s)': Number(throughput.toFixed(1)),
        'checks answered': counts.answered,
        'skipped by the in-flight bound': counts.skipped,
        'p50 latency (ms)': Number(p50Ms.toFixed(2)),
        'p99 latency (ms)': Number(p99Ms.toFixed(2)),
        'max latency (ms)': Number(maxMs.toFixed(1)),
        'RPC errors': counts.rpcErrors,
        'wrong decisions': load.wrongBy.size === 0 ? 0 : `${String(counts.wrong)}: ${[...load.wrongBy].map(([what, count]) => `${what} ${String(count)}`).join(', ')}`,
        'raced a policy change (either outcome accepted)': counts.raced - counts.keyRaced,
        'new-key requests denied 503 timeout before the server had the new key (accepted)': counts.keyRaced,
        'allowed (audience not enforced) / denied': `${String(counts.allowed)} (${String(counts.notEnforced)}) / ${String(counts.denied)}`,
        'policy changes (after an invalid file)': `${String(stats.done)} (${String(stats.afterInvalid)})`,
        'change in force after (median / max ms)': propagation.length === 0 ? '–' : `${(propagation[Math.floor(propagation.length / 2)] ?? 0).toFixed(0)} / ${(propagation.at(-1) ?? 0).toFixed(0)}`,
        'key rotation': Number.isNaN(rotation.at) ? 'none' : `at ${rotation.at.toFixed(0)} s, new-key tokens from ${rotation.readyAt.toFixed(0)} s (first JWKS answer after it ${rotation.firstJwksMs.toFixed(0)} ms), first new-key allow ${load.newKeyKnownAt === undefined ? 'never' : `at ${((load.newKeyKnownAt - loadStart) / 1000).toFixed(1)} s`}`,
        'GOAWAYs / calls resent after one': `${String(grpc.goaways)} / ${String(grpc.goawayRetries)}`,
        'server CPU per check (µs)': Number(((serverCpu / (counts.answered + counts.probes)) * 1e6).toFixed(0)),
        'server / load generator CPU (% of one core)': `${((serverCpu / loadSeconds) * 100).toFixed(0)} / ${(((ownCpu.user + ownCpu.system) / 1e6 / loadSeconds) * 100).toFixed(0)}`,
        'token cache hits / misses': `${String(sum(/^audience_guard_token_cache_lookups_total\{result="hit"\} (\S+)/gm))} / ${String(sum(/^audience_guard_token_cache_lookups_total\{result="miss"\} (\S+)/gm))}`,
        'JWKS fetches': sum(/^audience_guard_jwks_refreshes_total\{[^}]*\} (\S+)/gm),
        'server GC: major (over 100 ms) / minor, count and total s': `${String(gcCount('major'))} (${String(majorOver100ms)}) / ${String(gcCount('minor'))}; ${gcSeconds('major').toFixed(2)} / ${gcSeconds('minor').toFixed(2)} s`,
        'token_rejected lines seen / denies and not-enforced allows': `${String(monitor.count('token_rejected'))} / ${String(counts.denied + counts.probeDenies + counts.notEnforced)}`,
        'log lines suppressed over --log-rate / dropped, buffer full': `${String(sum(/^audience_guard_log_lines_suppressed_total\{reason="(?!buffer_full")[^"]*"\} (\S+)/gm))} / ${String(sum(/^audience_guard_log_lines_suppressed_total\{reason="buffer_full"\} (\S+)/gm))}`,
        'log_suppressed lines seen': monitor.count('log_suppressed'),
        'server output scanned': `${String(scanner.lines)} lines, ${(scanner.bytes / 1048576).toFixed(1)} MiB`,
        'peak RSS (VmHWM, MiB)': Number(peakRss.toFixed(1)),
        'RSS at 60 s (MiB)': Number(flatness.atWarmUpMiB.toFixed(1)),
        'RSS from 60 s to the end: lowest / highest (MiB), spread': `${flatness.minMiB.toFixed(1)} / ${flatness.maxMiB.toFixed(1)}, ${flatness.spreadPct.toFixed(1)}%${flatness.spreadPct <= 10 ? ' (within 10%)' : ' (more than 10%)'}`,
      },
      rss: rssSummary,
      windows,
      byKind: load.byKind,
      invariants,
    };
    const report = renderSummary(summary);
    process.stdout.write(`\n${report}\n`);
    process.stdout.write(`RSS samples (t s: MiB): ${rss.map((sample) => `${sample.t.toFixed(0)}: ${sample.rssMiB.toFixed(1)}`).join(', ')}\n`);
    process.stdout.write(`server log events: ${[...monitor.events].map(([event, count]) => `${event} ${String(count)}`).join(', ')}\n`);
    if (monitor.unexpected.length > 0) process.stdout.write(`unexpected log lines:\n  ${monitor.unexpected.join('\n  ')}\n`);
    if (monitor.stderrLines > 0) process.stdout.write(`server stderr (${String(monitor.stderrLines)} lines):\n  ${monitor.stderrSample.join('\n  ')}\n`);
    if (load.wrongSamples.length > 0) process.stdout.write(`wrong decisions (first ${String(load.wrongSamples.length)}):\n  ${load.wrongSamples.join('\n  ')}\n`);
    if (load.errorSamples.length > 0) process.stdout.write(`RPC errors (first ${String(load.errorSamples.length)}):\n  ${load.errorSamples.join('\n  ')}\n`);
    if (scanner.findings.length > 0) process.stdout.write(`token bytes in the server output: ${scanner.findings.map((finding) => `line ${String(finding.line)} (${finding.how})`).join(', ')}\n`);
    if (config.calibrate) process.stdout.write(`\ncalibration: ${throughput.toFixed(0)} checks/s sustained closed loop (${String(config.maxInFlight)} in flight); 60% is ${(throughput * 0.6).toFixed(0)} checks/s\n`);

    await mkdir(config.out, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const details = { config, ...summary, rssSamples: rss, propagationMs: propagation, wrongSamples: load.wrongSamples, errorSamples: load.errorSamples, logEvents: Object.fromEntries(monitor.events), logLevels: Object.fromEntries(monitor.levels) };
    await writeFile(join(config.out, `soak-${stamp}.json`), JSON.stringify(details, null, 2));
    await writeFile(join(config.out, `soak-${stamp}.md`), report);
    log(`results in ${join(config.out, `soak-${stamp}.json`)} and .md`);
    if (!config.calibrate && counts.skipped > 0) log(`note: ${String(counts.skipped)} requests were skipped because ${String(config.maxInFlight)} were already in flight (the server fell behind the offered rate)`);
    const failed = invariants.filter((invariant) => !invariant.ok);
    log(failed.length === 0 ? 'every invariant held' : `FAILED: ${failed.map((invariant) => invariant.name).join('; ')}`);
    return failed.length === 0 ? 0 : 1;
  } catch (error) {
    log(`error: ${(error as Error).stack ?? String(error)}`);
    await stopEverything();
    return 1;
  }
}

const watchdog = setTimeout(() => {
  log('watchdog: the run took far longer than planned; giving up');
  process.exit(1);
}, (runSeconds + 600) * 1000);
watchdog.unref();
process.exit(await main());
