/**
 * The DPoP scenario of the check path: one DPoP-bound token (`cnf.jkt`) with
 * a fresh proof on every request (each proof sent once, as a client makes
 * them), next to the same pipeline with a repeated unbound Bearer token, both
 * through the fresh-token load generator. It measures what the binding step
 * adds per call: the proof's decoding, its ES256 signature, the `htu`
 * comparison, the thumbprint and the replay-cache insert (the token itself
 * hits the verified-token cache). See bench/README.md.
 *
 *   node bench/check-path/dpop-bench.ts [--quick] [--runs 3] [--proofs 10000]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createHash } from 'node:crypto';
import { dpopClientKey, dpopProof } from '../../test/support/sender-constrained-tokens.ts';
import { MCP_HOST, MCP_RESOURCE, startBenchIssuer, writePolicyFile } from '../common/fixtures.ts';
import { checkFrame } from '../common/grpc-frames.ts';
import { BenchContext, rowOf, type BenchConfig, type Run } from './bench-context.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false }, runs: { type: 'string' }, proofs: { type: 'string' }, out: { type: 'string', default: 'bench/results' },
  },
});
const quick = values.quick;
const perRun = Number(values.proofs ?? (quick ? 3_000 : 10_000));
const config: BenchConfig = {
  runs: Number(values.runs ?? (quick ? 1 : 3)), durationSeconds: 0, warmUpSeconds: 0, freshPerRun: perRun, warmUpTokens: quick ? 1_000 : 2_000,
  rssTokens: 0, rssPolicies: 0, clients: 4, streams: 32, pacedStreams: 4, nodeArgs: [], memoryNodeArgs: [],
};
const began = Date.now();
const log = (line: string): void => { process.stderr.write(`[dpop-bench ${((Date.now() - began) / 1000).toFixed(0).padStart(4)}s] ${line}\n`); };

const auth = await startBenchIssuer();
const work = await mkdtemp(join(values.out, 'dpop-'));
const context = new BenchContext(config, work, auth, log, undefined);
try {
  const key = await dpopClientKey('ES256');
  const claims = JSON.parse(Buffer.from((await auth.issueToken({ resource: MCP_RESOURCE })).split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  const now = Math.floor(Date.now() / 1000);
  const bound = await auth.signCustomToken({ ...claims, iat: now, exp: now + 3600, cnf: { jkt: key.thumbprint } });
  const unbound = await auth.signCustomToken({ ...claims, iat: now, exp: now + 3600 });
  const ath = createHash('sha256').update(bound).digest('base64url');
  const total = config.warmUpTokens + config.runs * perRun;
  log(`signing ${String(total)} proofs`);
  const frames: Buffer[] = [];
  for (let first = 0; first < total; first += 256) {
    const proofs = await Promise.all(Array.from({ length: Math.min(256, total - first) }, () => dpopProof(key, 'POST', MCP_RESOURCE, { ath })));
    for (const proof of proofs) frames.push(checkFrame({ authority: MCP_HOST, path: '/mcp', authorization: `DPoP ${bound}`, dpop: proof }));
  }
  const bearerFrames = Array.from({ length: total }, () => checkFrame({ authority: MCP_HOST, path: '/mcp', authorization: `Bearer ${unbound}` }));
  const policyFile = await writePolicyFile(work, auth.issuer, 1);
  // A loaded machine must not turn slow answers into 503 timeouts: this measures cost, not the deadline.
  const guard = await context.guard('ag-dpop', policyFile, ['--check-timeout', '10000']);
  const runs = { bearer: [] as Run[], dpop: [] as Run[] };
  const measure = async (file: Buffer[], start: number, count: number): Promise<Run> => {
    await writeFile(context.pool.frames, Buffer.concat(file));
    const cpuBefore = guard.cpuSeconds();
    const result = await context.generator(guard, start, count);
    if (result.failed > 0 || result.wrong > 0) throw new Error(`${String(result.failed)} failed, ${String(result.wrong)} not allowed`);
    return { result, cpuMicros: ((guard.cpuSeconds() - cpuBefore) / count) * 1e6 };
  };
  await measure(frames, 0, config.warmUpTokens);
  for (let round = 0; round < config.runs; round++) {
    const start = config.warmUpTokens + round * perRun;
    runs.bearer.push(await measure(bearerFrames, start, perRun));
    runs.dpop.push(await measure(frames, start, perRun));
    log(`round ${String(round + 1)}: bearer ${runs.bearer.at(-1)?.result.rps.toFixed(0) ?? ''}/s, dpop ${runs.dpop.at(-1)?.result.rps.toFixed(0) ?? ''}/s`);
  }
  const rows = [rowOf('repeated Bearer token (cache hit)', runs.bearer, guard), rowOf('DPoP-bound token, fresh proof per request', runs.dpop, guard)];
  process.stdout.write('| scenario | calls/s (median) | runs | p50 ms | p99 ms | server CPU µs/call |\n|---|---|---|---|---|---|\n');
  for (const row of rows) {
    process.stdout.write(`| ${row.label} | ${row.result.rps.toFixed(0)} | ${row.runs.map((rps) => rps.toFixed(0)).join(' / ')} | ${row.result.p50Ms.toFixed(2)} | ${row.result.p99Ms.toFixed(2)} | ${row.cpuMicros?.toFixed(0) ?? '–'} |\n`);
  }
} finally {
  await context.stopAll();
  await auth.close();
  await rm(work, { recursive: true, force: true });
}
