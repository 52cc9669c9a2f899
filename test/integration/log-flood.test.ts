/**
 * A flood of denies must not take the service down through its own logs
 * (README "Logs"): token_rejected lines are limited per (policy, reason) and
 * counted beyond `--log-rate`, and when nobody reads stdout (a stalled log
 * pipeline) lines beyond a fixed buffer are dropped and counted
 * (`buffer_full`) — memory stays bounded, checks keep being answered, and
 * SIGTERM still ends the process. Wrong-audience tokens are real ones from
 * the local authorization server; checks go over gRPC with Envoy's protos.
 */
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAuthorizationServer, type LocalAuthorizationServer } from '../support/authorization-server.ts';
import { EnvoyCheckClient, type RequestShape } from '../support/envoy-check-client.ts';
import { captureOutput, recordToken } from '../support/secret-ledger.ts';
import { DEFAULT_RESOURCES, OTHER_RESOURCE, eventually, policyYAML, startHarness, type Harness } from '../support/service-harness.ts';

const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;

/** Sends `count` checks, `parallel` at a time; every answer must be an audience_mismatch deny. */
async function flood(client: EnvoyCheckClient, shape: RequestShape, count: number, parallel = 64): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next += 1;
      const response = await client.check(shape, 10_000);
      assert.equal(response.status?.message, 'audience_mismatch');
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

function sample(metrics: string, pattern: RegExp): number {
  return Number(pattern.exec(metrics)?.[1] ?? Number.NaN);
}

describe('log flood: the rate limit of token_rejected lines', function () {
  let harness: Harness;
  before(async function () {
    harness = await startHarness({ policies: (issuer) => policyYAML(issuer), service: { logRate: 5 } });
  });
  after(async function () {
    await harness.close();
  });

  it('attack: a wrong-audience flood must yield at most --log-rate lines a second, the rest counted and summed up in log_suppressed lines', async function () {
    const authorization = `Bearer ${await harness.token({ resource: OTHER_RESOURCE })}`;
    const started = performance.now();
    await flood(harness.client, { headers: { authorization } }, 300, 16);
    const seconds = (performance.now() - started) / 1000;
    const written = harness.logs.filter((line) => line.event === 'token_rejected' && line.reason === 'audience_mismatch').length;
    assert.ok(written >= 5 && written <= 5 * (Math.floor(seconds) + 2), `${String(written)} lines in ${seconds.toFixed(1)} s`);
    const counter = async (): Promise<number> => sample(await harness.service.metrics.registry.getSingleMetricAsString('audience_guard_log_lines_suppressed_total'), /reason="audience_mismatch"\} (\d+)/);
    assert.equal(await counter(), 300 - written);
    const summed = (): number => harness.logs.filter((line) => line.event === 'log_suppressed')
      .reduce((sum, line) => sum + ((line.by_reason as Record<string, number>).audience_mismatch ?? 0), 0);
    await eventually(() => summed() === 300 - written, 5_000);
    const summary = harness.logs.find((line) => line.event === 'log_suppressed');
    assert.equal(summary?.level, 'warn');
    assert.deepEqual((summary.by_policy as Record<string, unknown>[])[0], { policy: 'mcp/mcp', reason: 'audience_mismatch', suppressed: (summary.by_reason as Record<string, number>).audience_mismatch });
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => { resolve(typeof address === 'object' && address !== null ? address.port : 0); });
    });
  });
}

function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${String(pid)}/status`, 'utf8'))?.[1]) / 1024;
}

describe('log flood: audience-guard serve whose log reader stops reading (child process)', function () {
  this.timeout(60_000);
  let auth: LocalAuthorizationServer;
  let dir: string;
  let reader: ChildProcess;
  let child: ChildProcess;
  let stderr = '';
  let ports: { grpc: number; admin: number };

  before(async function () {
    auth = await startAuthorizationServer({ resources: DEFAULT_RESOURCES });
    dir = await mkdtemp(join(tmpdir(), 'audience-guard-log-flood-'));
    const file = join(dir, 'policies.yaml');
    await writeFile(file, policyYAML(auth.issuer));
    ports = { grpc: await freePort(), admin: await freePort() };
    // The log pipeline: the server's stdout is a pipe into `cat`, which this test stops later.
    // The test itself never reads that pipe.
    reader = spawn('cat', [], { stdio: ['pipe', 'ignore', 'ignore'] });
    // Every deny logged (no rate limit to speak of), so a stalled buffer fills quickly.
    child = spawn(process.execPath, [MAIN, 'serve', '--policy-file', file, '--grpc-address', `127.0.0.1:${String(ports.grpc)}`, '--admin-address', `127.0.0.1:${String(ports.admin)}`, '--log-rate', '1000000', '--check-timeout', '10000'], { stdio: ['ignore', reader.stdin, 'pipe'] });
    child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    await eventually(async () => (await fetch(`http://127.0.0.1:${String(ports.admin)}/readyz`).catch(() => undefined))?.status === 200, 10_000);
  });
  after(async function () {
    if (child.exitCode === null) child.kill('SIGKILL');
    reader.kill('SIGKILL');
    captureOutput(stderr);
    await auth.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('attack: a wrong-audience flood while the log reader is stalled must keep memory bounded, count the dropped lines, answer every check and still shut down on SIGTERM', async function () {
    // Long request fields (each is logged, up to 512 characters): lines of about 2 kB.
    const shape = { path: `/mcp/${'p'.repeat(500)}`, method: 'M'.repeat(500), headers: { authorization: `Bearer ${recordToken(await auth.issueToken({ resource: OTHER_RESOURCE }))}`, 'x-request-id': 'r'.repeat(500) } };
    const client = new EnvoyCheckClient(ports.grpc);
    const metrics = async (): Promise<string> => (await fetch(`http://127.0.0.1:${String(ports.admin)}/metrics`)).text();
    const bufferFull = /audience_guard_log_lines_suppressed_total\{reason="buffer_full"\} (\d+)/;
    // Warm-up with the reader reading: the heap grows to its working size under this very load.
    // (Measured here: RSS grows by about 110 MiB over the first 12,000 checks, then levels off.)
    await flood(client, shape, 12_000);
    reader.kill('SIGSTOP');
    const droppedBefore = sample(await metrics(), bufferFull);
    const stalled = rssMiB(child.pid ?? 0);
    await flood(client, shape, 12_000);
    const after = rssMiB(child.pid ?? 0);
    // Held without a bound, these 12,000 lines cost about 47 MiB (measured: +39 MiB for 10,000); with
    // it, the pipe and the 4 MiB buffer fill and the rest is dropped (measured: +4 MiB).
    assert.ok(after - stalled < 25, `RSS ${stalled.toFixed(0)} → ${after.toFixed(0)} MiB over 12,000 denied checks with the log reader stalled`);
    const dropped = sample(await metrics(), bufferFull) - droppedBefore;
    assert.ok(dropped > 8_000, `${String(dropped)} of 12,000 lines dropped`);
    assert.equal((await fetch(`http://127.0.0.1:${String(ports.admin)}/healthz`)).status, 200);
    client.close();
    const exited = new Promise<number | string | null>((resolve) => {
      child.once('exit', resolve);
      setTimeout(() => { resolve('still running 15 s after SIGTERM'); }, 15_000).unref();
    });
    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
  });
});
