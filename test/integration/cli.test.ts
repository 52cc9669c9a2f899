/**
 * The command line as users run it (a child process on Node 24): exit codes
 * and one-line errors for bad flags and bad files, `validate`, and `serve`
 * end to end — listening line, health, readiness, metrics, the admin metadata
 * route, and SIGTERM draining in-flight checks before exiting 0.
 */
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { createRequire } from 'node:module';
import { startAuthorizationServer, type LocalAuthorizationServer } from '../support/authorization-server.ts';
import { EnvoyCheckClient } from '../support/envoy-check-client.ts';
import { captureOutput, recordToken } from '../support/secret-ledger.ts';
import { KubernetesAPIDouble } from '../support/kubernetes-api-double.ts';
import { MCP_RESOURCE, DEFAULT_RESOURCES, policyYAML, eventually } from '../support/service-harness.ts';

const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;

interface Run { code: number | null; stdout: string; stderr: string }

function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('close', (code) => {
      captureOutput(stdout);
      captureOutput(stderr);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('audience-guard CLI', function () {
  let dir: string;
  before(async function () {
    dir = await mkdtemp(join(tmpdir(), 'audience-guard-cli-'));
  });
  after(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 2 with one line naming the flag for a bad flag value', async function () {
    const result = await run(['serve', '--policy-file', 'x.yaml', '--grpc-address', 'nonsense']);
    assert.equal(result.code, 2);
    assert.equal(result.stderr.trim().split('\n').length, 1);
    assert.match(result.stderr, /--grpc-address/);
  });

  it('exits 2 for an unknown flag', async function () {
    const result = await run(['serve', '--no-such-flag']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /no-such-flag/);
  });

  it('reads flags from AUDIENCE_GUARD_* environment variables', async function () {
    const result = await run(['serve', '--policy-file', 'x.yaml'], { AUDIENCE_GUARD_CHECK_TIMEOUT: '0' });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--check-timeout/);
  });

  it('exits 2 naming the file when a policy file cannot be read, and starts nothing', async function () {
    const result = await run(['serve', '--policy-file', join(dir, 'missing.yaml'), '--grpc-address', '127.0.0.1:0', '--admin-address', '127.0.0.1:0']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /missing\.yaml/);
    assert.doesNotMatch(result.stdout, /"event":"listening"/);
  });

  it('exits 2 and lists each problem when a policy file is invalid at start', async function () {
    const file = join(dir, 'invalid.yaml');
    await writeFile(file, policyYAML('https://idp.example.com', { resource: 'ftp://x.example.com/mcp' }));
    const result = await run(['serve', '--policy-file', file, '--grpc-address', '127.0.0.1:0', '--admin-address', '127.0.0.1:0']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /invalid\.yaml#0 \/spec\/resource: must use https/);
  });

  it('validate: exits 0 for valid files, 1 with every problem for invalid ones, 2 without files', async function () {
    const valid = join(dir, 'valid.yaml');
    await writeFile(valid, policyYAML('https://idp.example.com'));
    const invalid = join(dir, 'bad.yaml');
    await writeFile(invalid, `${policyYAML('https://idp.example.com')}  mode: Sometimes\n---\n${policyYAML('https://idp.example.com', { name: 'second' })}  clockSkewSeconds: 900\n`);
    assert.equal((await run(['validate', valid])).code, 0);
    const bad = await run(['validate', valid, invalid]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /bad\.yaml#0 \/spec\/mode/);
    assert.match(bad.stderr, /bad\.yaml#1 \/spec\/clockSkewSeconds/);
    assert.equal((await run(['validate'])).code, 2);
    assert.equal((await run(['validate', join(dir, 'nope.yaml')])).code, 2);
  });

  it('validate accepts the shipped example policies', async function () {
    const result = await run(['validate', new URL('../../deploy/examples/', import.meta.url).pathname]);
    assert.equal(result.code, 0, result.stderr);
  });
});

describe('audience-guard serve (child process)', function () {
  let auth: LocalAuthorizationServer;
  let slowJWKS: Server;
  let releaseJWKS: () => void = () => undefined;
  let dir: string;
  let child: ChildProcess;
  let stdout = '';

  before(async function () {
    auth = await startAuthorizationServer({ resources: DEFAULT_RESOURCES });
    // A JWKS proxy: the first fetch (at policy load) is answered at once; later ones are
    // held until the test releases them, so checks that need a refetch stay in flight.
    const held = new Promise<void>((resolve) => { releaseJWKS = resolve; });
    let fetches = 0;
    slowJWKS = createServer((_request, response) => {
      fetches += 1;
      void (fetches === 1 ? Promise.resolve() : held).then(async () => {
        const jwks = await (await fetch(auth.jwksUri)).text();
        response.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
      });
    });
    await new Promise<void>((resolve) => slowJWKS.listen(0, '127.0.0.1', resolve));
    dir = await mkdtemp(join(tmpdir(), 'audience-guard-serve-'));
    const file = join(dir, 'policies.yaml');
    const jwksUri = `http://127.0.0.1:${(slowJWKS.address() as AddressInfo).port}/jwks`;
    await writeFile(file, policyYAML(auth.issuer, { issuerExtra: `\n      jwksUri: ${jwksUri}` }));
    child = spawn(process.execPath, [MAIN, 'serve', '--policy-file', file, '--grpc-address', '127.0.0.1:0', '--admin-address', '127.0.0.1:0', '--check-timeout', '10000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr?.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    await eventually(() => stdout.includes('"event":"listening"'), 10_000);
  });
  after(async function () {
    if (child.exitCode === null) child.kill('SIGKILL');
    captureOutput(stdout);
    releaseJWKS();
    slowJWKS.closeAllConnections();
    await new Promise((resolve) => slowJWKS.close(resolve));
    await auth.close();
    await rm(dir, { recursive: true, force: true });
  });

  function ports(): { grpc: number; admin: number } {
    const line = stdout.split('\n').find((entry) => entry.includes('"event":"listening"')) ?? '{}';
    const parsed = JSON.parse(line) as { grpc: string; admin: string };
    return { grpc: Number(parsed.grpc.split(':').pop()), admin: Number(parsed.admin.split(':').pop()) };
  }

  it('logs the bound addresses once and is ready and healthy after the policy load', async function () {
    assert.equal(stdout.split('"event":"listening"').length - 1, 1);
    const { grpc: grpcPort, admin } = ports();
    assert.ok(grpcPort > 0 && admin > 0);
    assert.equal((await fetch(`http://127.0.0.1:${admin}/healthz`)).status, 200);
    assert.equal((await fetch(`http://127.0.0.1:${admin}/readyz`)).status, 200);
    assert.equal(await healthStatus(grpcPort, ''), 'SERVING');
    assert.equal(await healthStatus(grpcPort, 'envoy.service.auth.v3.Authorization'), 'SERVING');
  });

  it('serves metrics and the RFC 9728 document on the admin port', async function () {
    const { admin } = ports();
    const metrics = await (await fetch(`http://127.0.0.1:${admin}/metrics`)).text();
    assert.match(metrics, /audience_guard_policies\{state="accepted"\} 1/);
    const response = await fetch(`http://127.0.0.1:${admin}/.well-known/oauth-protected-resource/mcp.example.com/mcp`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('access-control-allow-origin'), '*');
    assert.equal(((await response.json()) as { resource: string }).resource, MCP_RESOURCE);
  });

  it('on SIGTERM turns NOT_SERVING, answers every in-flight check, and exits 0', async function () {
    const { grpc: grpcPort, admin } = ports();
    // A token under a new key: the service must refetch the (held) JWKS to decide it.
    await auth.rotateSigningKey();
    const token = recordToken(await auth.issueToken({ resource: MCP_RESOURCE }));
    const client = new EnvoyCheckClient(grpcPort);
    const inFlight = [1, 2, 3].map(() => client.check({ headers: { authorization: `Bearer ${token}` } }, 20_000));
    // The calls wait for the held key set; shut down only once all three are inside the server.
    await eventually(async () => /audience_guard_checks_in_flight 3/.test(await (await fetch(`http://127.0.0.1:${admin}/metrics`)).text()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await eventually(async () => (await healthStatus(grpcPort, '').catch(() => 'gone')) !== 'SERVING');
    assert.equal((await fetch(`http://127.0.0.1:${admin}/readyz`).then((r) => r.status).catch(() => 503)), 503);
    releaseJWKS();
    const responses = await Promise.all(inFlight);
    for (const response of responses) assert.equal(response.status?.code ?? 0, 0, 'the drained checks complete with their real decision');
    client.close();
    assert.equal(await exited, 0);
    assert.match(stdout, /"event":"stopped","drained":true/);
  });
});

function healthStatus(port: number, service: string): Promise<string> {
  const require = createRequire(import.meta.url);
  const { protoPath } = require('grpc-health-check') as { protoPath: string };
  const definition = loadSync(protoPath, { keepCase: true, enums: String });
  const Health = grpc.makeClientConstructor(definition['grpc.health.v1.Health'] as grpc.ServiceDefinition, 'Health');
  const client = new Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & { Check: (request: unknown, options: grpc.CallOptions, callback: (error: Error | null, response: { status: string }) => void) => void };
  return new Promise((resolve, reject) => {
    client.Check({ service }, { deadline: Date.now() + 2_000 }, (error, response) => {
      client.close();
      if (error !== null) reject(error);
      else resolve(response.status);
    });
  });
}

describe('audience-guard serve against a cluster from a kubeconfig (no policy files)', function () {
  let api: KubernetesAPIDouble;
  let dir: string;

  before(async function () {
    api = new KubernetesAPIDouble();
    await api.start();
    api.apply({ apiVersion: 'audienceguard.dev/v1alpha1', kind: 'AudiencePolicy', metadata: { name: 'weather', namespace: 'mcp' }, spec: { resource: MCP_RESOURCE, issuers: [{ issuer: 'https://idp.example.com' }] } });
    dir = await mkdtemp(join(tmpdir(), 'audience-guard-kube-'));
  });
  after(async function () {
    await api.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 2 with one line when there is no kubeconfig at all', async function () {
    const result = await run(['serve', '--grpc-address', '127.0.0.1:0', '--admin-address', '127.0.0.1:0'], { KUBECONFIG: '', HOME: dir, KUBERNETES_SERVICE_HOST: '' });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /no kubeconfig/);
  });

  it('watches AudiencePolicies through the API, turns ready after the first list, and stops cleanly', async function () {
    const kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, `apiVersion: v1
kind: Config
clusters: [{name: double, cluster: {server: "http://127.0.0.1:${String(api.port)}", insecure-skip-tls-verify: true}}]
users: [{name: tester, user: {token: not-a-real-token}}]
contexts: [{name: double, context: {cluster: double, user: tester}}]
current-context: double
`);
    const child = spawn(process.execPath, [MAIN, 'serve', '--grpc-address', '127.0.0.1:0', '--admin-address', '127.0.0.1:0', '--lease-namespace', 'audience-guard'], { env: { ...process.env, KUBECONFIG: kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    try {
      await eventually(() => output.includes('"event":"policies_loaded"'), 10_000);
      const listening = JSON.parse(output.split('\n').find((line) => line.includes('"event":"listening"')) ?? '{}') as { admin: string };
      assert.equal((await fetch(`http://127.0.0.1:${listening.admin.split(':').pop() ?? ''}/readyz`)).status, 200);
      assert.match(output, /"event":"policies_loaded","generation":1,"policies":1/);
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      captureOutput(output);
    }
  });
});
