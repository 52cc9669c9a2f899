/**
 * The introspection scenario of the check-path benchmark (`npm run bench:introspection`):
 * (e) one opaque token repeated — every check after the first is a hit of the
 * introspection answer cache — next to (a) one JWT repeated, on one
 * audience-guard process, h2load with a fixed pre-encoded body, rounds
 * interleaved. It also counts the requests that reached the authorization
 * server's introspection endpoint during the measured runs (a cache hit makes
 * none). See bench/README.md "Introspection".
 *
 *   npm run bench:introspection [-- --runs 3 --duration 7 --quick]
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startAuthorizationServer } from '../../test/support/authorization-server.ts';
import { BenchContext, rowOf, type BenchConfig, type Run } from './bench-context.ts';
import { MCP_RESOURCE, tokenFrame } from '../common/fixtures.ts';
import { checkFrame } from '../common/grpc-frames.ts';
import { ensureH2load } from '../common/h2load.ts';
import { probe } from '../common/probe.ts';

const JWT_HOST = 'jwt.example.com';
const JWT_RESOURCE = `https://${JWT_HOST}/mcp`;
const GUARD = { clientId: 'audience-guard', clientSecret: 'bench-introspection-secret' };

const { values } = parseArgs({ options: { runs: { type: 'string' }, duration: { type: 'string' }, quick: { type: 'boolean', default: false } } });
const quick = values.quick;
const config: BenchConfig = {
  runs: Number(values.runs ?? (quick ? 1 : 3)), durationSeconds: Number(values.duration ?? (quick ? 3 : 7)), warmUpSeconds: quick ? 1 : 2,
  freshPerRun: 0, warmUpTokens: 0, rssTokens: 0, rssPolicies: 0, clients: 4, streams: 32, pacedStreams: 4, nodeArgs: [], memoryNodeArgs: [],
};
const began = Date.now();
const log = (line: string): void => { process.stderr.write(`[bench ${((Date.now() - began) / 1000).toFixed(0).padStart(4)}s] ${line}\n`); };

function policy(issuer: string, name: string, resource: string, secretFile: string): string {
  return `apiVersion: audienceguard.dev/v1alpha1
kind: AudiencePolicy
metadata: {name: ${name}, namespace: bench}
spec:
  resource: ${resource}
  issuers:
    - issuer: "${issuer}"
      introspection: {clientId: ${GUARD.clientId}, clientSecretFile: ${secretFile}, cacheSeconds: 3600}
  requiredScopes: [mcp:tools]
`;
}

ensureH2load(log);
const work = await mkdtemp(join(tmpdir(), 'audience-guard-bench-introspection-'));
const auth = await startAuthorizationServer({
  resources: [{ resource: MCP_RESOURCE, scopes: ['mcp:tools'] }, { resource: JWT_RESOURCE, scopes: ['mcp:tools'] }],
  clients: [GUARD], introspection: { opaqueResources: [MCP_RESOURCE] },
});
const context = new BenchContext(config, work, auth, log, undefined);
try {
  const secretFile = join(work, 'client-secret');
  await writeFile(secretFile, GUARD.clientSecret);
  const folder = join(work, 'policies');
  await mkdir(folder);
  const policyFile = join(folder, 'policies.yaml');
  await writeFile(policyFile, [policy(auth.issuer, 'opaque', MCP_RESOURCE, secretFile), policy(auth.issuer, 'jwt', JWT_RESOURCE, secretFile)].join('---\n'));
  const server = await context.guard('ag-e-introspection', policyFile);

  const bodies = { e: join(work, 'opaque.bin'), a: join(work, 'jwt.bin') };
  const opaque = tokenFrame(await auth.issueToken({ resource: MCP_RESOURCE }));
  const jwt = checkFrame({ authority: JWT_HOST, path: '/mcp', authorization: `Bearer ${await auth.issueToken({ resource: JWT_RESOURCE })}` });
  await writeFile(bodies.e, opaque);
  await writeFile(bodies.a, jwt);
  for (const file of [opaque, jwt]) {
    const answer = await probe(server.grpcPort, file);
    if (!answer.allowed) throw new Error(`probe: expected allow, got ${answer.reason ?? answer.grpcStatus}`);
  }

  const labels = { e: '(e) same opaque token repeated (introspection cache hit)', a: '(a) same valid JWT repeated' } as const;
  const runs: Record<'e' | 'a', Run[]> = { e: [], a: [] };
  const introspectionsBefore = auth.introspection?.introspectionRequestCount() ?? 0;
  for (let round = 1; round <= config.runs; round++) {
    const order: readonly ('e' | 'a')[] = round % 2 === 1 ? ['e', 'a'] : ['a', 'e'];
    for (const key of order) {
      const run = await context.h2load(server, bodies[key]);
      runs[key].push(run);
      log(`round ${String(round)}: ${labels[key]}: ${run.result.rps.toFixed(0)} calls/s, p50 ${run.result.p50Ms.toFixed(2)} ms, p99 ${run.result.p99Ms.toFixed(2)} ms, ${(run.cpuMicros ?? 0).toFixed(0)} µs CPU/call`);
    }
  }
  const introspections = (auth.introspection?.introspectionRequestCount() ?? 0) - introspectionsBefore;
  const rows = (['e', 'a'] as const).map((key) => rowOf(labels[key], runs[key], server));
  process.stdout.write(`${JSON.stringify({ rows, introspectionRequestsDuringRuns: introspections }, null, 2)}\n`);
  if (introspections !== 0) throw new Error(`expected only cache hits, but ${String(introspections)} requests reached the introspection endpoint`);
} finally {
  await context.stopAll();
  await auth.close();
  await rm(work, { recursive: true, force: true });
}
