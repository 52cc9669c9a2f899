/**
 * A quick loopback throughput probe (not a full benchmark against a baseline):
 * starts a local oidc-provider and `audience-guard serve` as a child process,
 * drives Check calls over gRPC with a fixed number of concurrent callers for a
 * bounded count, and prints checks/s per scenario and the server's peak RSS.
 *
 *   npm run bench:quick [-- --checks 20000 --concurrency 64]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startAuthorizationServer } from '../test/support/authorization-server.ts';
import { EnvoyCheckClient, type RequestShape } from '../test/support/envoy-check-client.ts';

const { values } = parseArgs({ options: { checks: { type: 'string', default: '20000' }, concurrency: { type: 'string', default: '64' } } });
const total = Number(values.checks);
const concurrency = Number(values.concurrency);
const RESOURCE = 'https://mcp.example.com/mcp';

const auth = await startAuthorizationServer({ resources: [{ resource: RESOURCE, scopes: ['mcp:tools'] }, { resource: 'https://other.example.com/mcp', scopes: [] }] });
const dir = await mkdtemp(join(tmpdir(), 'audience-guard-bench-'));
const file = join(dir, 'policies.yaml');
await writeFile(file, `apiVersion: audienceguard.dev/v1alpha1
kind: AudiencePolicy
metadata: {name: mcp, namespace: bench}
spec:
  resource: ${RESOURCE}
  issuers: [{issuer: "${auth.issuer}"}]
`);
const server = spawn(process.execPath, ['bin/audience-guard.js', 'serve', '--policy-file', file, '--grpc-address', '127.0.0.1:0', '--admin-address', '127.0.0.1:0', '--log-level', process.env.BENCH_LOG_LEVEL ?? 'info'], { stdio: ['ignore', 'pipe', 'inherit'] });
let out = '';
server.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
while (!out.includes('"event":"listening"')) await new Promise((resolve) => setTimeout(resolve, 20));
const listening = JSON.parse(out.split('\n').find((line) => line.includes('"event":"listening"')) ?? '{}') as { grpc: string };
const client = new EnvoyCheckClient(Number(listening.grpc.split(':').pop()));

const good = await auth.issueToken({ resource: RESOURCE });
const wrong = await auth.issueToken({ resource: 'https://other.example.com/mcp' });

async function drive(label: string, shape: RequestShape): Promise<void> {
  let sent = 0;
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (sent < total) {
      sent += 1;
      await client.check(shape);
    }
  }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`${label.padEnd(28)} ${(total / seconds).toFixed(0).padStart(7)} checks/s  (${total} checks, ${concurrency} concurrent)`);
}

await drive('warm-up', { headers: { authorization: `Bearer ${good}` } });
await drive('valid token (repeated)', { headers: { authorization: `Bearer ${good}` } });
await drive('wrong audience', { headers: { authorization: `Bearer ${wrong}` } });
await drive('no token', {});
const afterLoad = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${String(server.pid)}/status`, 'utf8'))?.[1];
console.log(`server RSS after load: ${(Number(afterLoad) / 1024).toFixed(1)} MiB`);
const peak = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${String(server.pid)}/status`, 'utf8'))?.[1];
console.log(`server peak RSS: ${(Number(peak) / 1024).toFixed(1)} MiB`);
client.close();
server.kill('SIGTERM');
await auth.close();
await rm(dir, { recursive: true, force: true });
