/**
 * File mode must not load the Kubernetes client: it is ~20 MiB of heap and
 * ~55 MiB of RSS that a service reading policy files never uses (issue 5's
 * memory target; bench/README.md). A child `serve` process runs with a
 * resolve hook that counts @kubernetes/client-node modules; in Kubernetes mode
 * the same hook must count some, so the check can fail.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureOutput } from '../support/secret-ledger.ts';
import { KubernetesAPIDouble } from '../support/kubernetes-api-double.ts';
import { MCP_RESOURCE, policyYAML } from '../support/service-harness.ts';

const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;
const HOOK = new URL('../support/record-kubernetes-client-loads.ts', import.meta.url).pathname;

/**
 * Starts `serve`; once it listens (and start-up has had 200 ms more to finish),
 * asks the hook for its count with SIGUSR2, then kills the process.
 */
function kubernetesModulesLoadedBy(args: readonly string[], env: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', HOOK, MAIN, 'serve', '--grpc-address', '127.0.0.1:0', '--admin-address', '127.0.0.1:0', ...args], {
      env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let asked = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('"event":"listening"') && !asked) {
        asked = true;
        setTimeout(() => child.kill('SIGUSR2'), 200);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (/kubernetes-client-modules: \d+\n/.test(stderr)) child.kill('SIGKILL');
    });
    const timer = setTimeout(() => { child.kill('SIGKILL'); }, 20_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      captureOutput(stdout);
      captureOutput(stderr);
      const count = /kubernetes-client-modules: (\d+)/.exec(stderr)?.[1];
      if (count === undefined) reject(new Error(`serve exited ${String(code)} without a count: ${stderr}`));
      else resolve(Number(count));
    });
  });
}

describe('module footprint of serve', function () {
  this.timeout(30_000);
  let dir: string;
  let api: KubernetesAPIDouble;

  before(async function () {
    dir = await mkdtemp(join(tmpdir(), 'audience-guard-footprint-'));
    api = new KubernetesAPIDouble();
    await api.start();
  });
  after(async function () {
    await api.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('does not load the Kubernetes client when policies come from files', async function () {
    const file = join(dir, 'policy.yaml');
    await writeFile(file, policyYAML('https://idp.example.com', { resource: MCP_RESOURCE }));
    assert.equal(await kubernetesModulesLoadedBy(['--policy-file', file]), 0);
  });

  it('loads it when policies come from the Kubernetes API (the hook sees it)', async function () {
    const kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, `apiVersion: v1
kind: Config
clusters: [{name: double, cluster: {server: "http://127.0.0.1:${String(api.port)}"}}]
users: [{name: tester, user: {token: not-a-real-token}}]
contexts: [{name: double, context: {cluster: double, user: tester}}]
current-context: double
`);
    assert.ok(await kubernetesModulesLoadedBy(['--lease-namespace', 'audience-guard'], { KUBECONFIG: kubeconfig }) > 0);
  });
});
