/**
 * A failed Kubernetes API call is reported in one line that names the URL and
 * the HTTP status with the API server's own message — not the client
 * library's "fetch failed" or its multi-line "HTTP-Code: … Body: … Headers:".
 * The real @kubernetes/client-node against the API double, and serve as a
 * child process with a kubeconfig of two files merged as kubectl merges them.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Backoff } from '../../src/kubernetes/backoff.ts';
import { KubernetesPolicySource } from '../../src/kubernetes/kubernetes-policy-source.ts';
import { PolicyStore } from '../../src/policy/policy-store.ts';
import { KubernetesAPIDouble } from '../support/kubernetes-api-double.ts';
import { captureOutput } from '../support/secret-ledger.ts';
import { eventually, MCP_RESOURCE } from '../support/service-harness.ts';

const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;
const COLLECTION = '/apis/audienceguard.dev/v1alpha1/audiencepolicies';

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('Kubernetes API failures in one line', function () {
  let api: KubernetesAPIDouble;
  let source: KubernetesPolicySource | undefined;
  let failures: string[];

  beforeEach(async function () {
    api = new KubernetesAPIDouble();
    await api.start();
    failures = [];
  });
  afterEach(async function () {
    await source?.stop();
    source = undefined;
    await api.close();
  });

  function watch(config = api.kubeConfig(), namespaces: string[] = []): void {
    source = new KubernetesPolicySource(config, new PolicyStore(), { namespaces, backoff: () => new Backoff(10, 50) }, {
      failed: (error) => { failures.push(error.message); },
    });
    void source.start();
  }

  it('a refused list names the URL, 403 and the API server\'s message', async function () {
    api.authorize = (access) => access.verb !== 'list';
    watch(api.kubeConfig(), ['team-a']);
    await eventually(() => failures.length > 0);
    assert.equal(failures[0], `GET http://127.0.0.1:${String(api.port)}/apis/audienceguard.dev/v1alpha1/namespaces/team-a/audiencepolicies: HTTP 403 Forbidden: audiencepolicies "" is forbidden: cannot list in namespace "team-a"`);
  });

  it('a failing list names the URL, the status and the Status reason', async function () {
    api.failLists = 1;
    watch();
    await eventually(() => failures.length > 0);
    assert.equal(failures[0], `GET http://127.0.0.1:${String(api.port)}${COLLECTION}: HTTP 500 Internal Server Error: InternalError: injected failure`);
  });

  it('a refused watch names the URL and 403', async function () {
    api.authorize = (access) => access.verb !== 'watch';
    watch();
    await eventually(() => failures.length > 0);
    assert.match(failures[0] ?? '', new RegExp(`^GET http://127\\.0\\.0\\.1:${String(api.port)}${COLLECTION}: HTTP 403 Forbidden$`));
  });

  it('an unreachable API server is named with the network error, not "fetch failed"', async function () {
    const port = await closedPort();
    const config = api.kubeConfig();
    config.loadFromOptions({ users: config.users, contexts: config.contexts, currentContext: config.currentContext, clusters: [{ name: 'double', server: `http://127.0.0.1:${String(port)}`, skipTLSVerify: true }] });
    watch(config);
    await eventually(() => failures.length > 0);
    assert.equal(failures[0], `GET http://127.0.0.1:${String(port)}${COLLECTION}: unreachable (ECONNREFUSED)`);
  });

  it('serve with KUBECONFIG of two files: merged as kubectl does, the policies load', async function () {
    api.apply({ apiVersion: 'audienceguard.dev/v1alpha1', kind: 'AudiencePolicy', metadata: { name: 'weather', namespace: 'mcp' }, spec: { resource: MCP_RESOURCE, issuers: [{ issuer: 'https://idp.example.com' }] } });
    const dir = await mkdtemp(join(tmpdir(), 'audience-guard-kubeconfig-'));
    // The first file picks the context; the second holds the cluster and user it names,
    // and a current-context of its own that must not win.
    await writeFile(join(dir, 'contexts'), 'apiVersion: v1\nkind: Config\ncontexts: [{name: double, context: {cluster: double, user: tester}}]\ncurrent-context: double\n');
    await writeFile(join(dir, 'clusters'), `apiVersion: v1
kind: Config
clusters: [{name: double, cluster: {server: "http://127.0.0.1:${String(api.port)}", insecure-skip-tls-verify: true}}, {name: elsewhere, cluster: {server: "http://127.0.0.1:${String(await closedPort())}"}}]
users: [{name: tester, user: {token: not-a-real-token}}]
contexts: [{name: elsewhere, context: {cluster: elsewhere, user: tester}}, {name: double, context: {cluster: elsewhere, user: tester}}]
current-context: elsewhere
`);
    const kubeconfig = [join(dir, 'missing'), join(dir, 'contexts'), join(dir, 'clusters')].join(delimiter);
    const child = spawn(process.execPath, [MAIN, 'serve', '--grpc-address', '127.0.0.1:0', '--admin-address', '127.0.0.1:0', '--lease-namespace', 'audience-guard'], { env: { ...process.env, KUBECONFIG: kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    try {
      await eventually(() => output.includes('"event":"policies_loaded"') || child.exitCode !== null, 15_000);
      assert.match(output, /"event":"policies_loaded","generation":1,"policies":1/, output);
      assert.doesNotMatch(output, /policy_source_failed/);
    } finally {
      child.kill('SIGKILL');
      captureOutput(output);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
