/**
 * KUBECONFIG with several files is merged as kubectl merges it: empty names
 * and missing files skipped, the first file to name a cluster, user or
 * context wins, the first current-context wins, and relative file paths stay
 * relative to the file that wrote them. (@kubernetes/client-node's
 * loadFromDefault lets the last current-context win and throws on a name two
 * files share.)
 */
import { strict as assert } from 'node:assert';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfigError, loadKubeConfig } from '../../../src/kubernetes/kube-config.ts';

describe('loadKubeConfig with several KUBECONFIG files', function () {
  let dir: string;
  let first: string;
  let second: string;

  before(async function () {
    dir = await mkdtemp(join(tmpdir(), 'audience-guard-kubeconfig-'));
    first = join(dir, 'first');
    await mkdir(join(dir, 'elsewhere'));
    second = join(dir, 'elsewhere', 'second');
    await writeFile(first, `apiVersion: v1
kind: Config
clusters: [{name: shared, cluster: {server: "https://first.example.com:6443"}}]
users: [{name: alice, user: {token: first-token}}]
contexts: [{name: work, context: {cluster: shared, user: alice, namespace: first-ns}}]
current-context: work
`);
    await writeFile(second, `apiVersion: v1
kind: Config
clusters:
  - {name: shared, cluster: {server: "https://second.example.com:6443"}}
  - {name: lab, cluster: {server: "https://lab.example.com:6443", certificate-authority: ca.pem}}
users: [{name: alice, user: {token: second-token}}, {name: bob, user: {token: bob-token}}]
contexts: [{name: work, context: {cluster: lab, user: bob}}, {name: lab, context: {cluster: lab, user: bob}}]
current-context: lab
`);
  });
  after(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps the first file\'s entries and current-context, and adds the second file\'s new ones', function () {
    const config = loadKubeConfig({ KUBECONFIG: [first, second].join(delimiter), HOME: dir });
    assert.equal(config.getCurrentContext(), 'work');
    assert.equal(config.getCurrentCluster()?.server, 'https://first.example.com:6443');
    assert.equal(config.getCurrentUser()?.token, 'first-token');
    assert.deepEqual(config.getContexts().map((context) => context.name), ['work', 'lab']);
    assert.deepEqual(config.getClusters().map((cluster) => cluster.name), ['shared', 'lab']);
    assert.deepEqual(config.getUsers().map((user) => user.name), ['alice', 'bob']);
  });

  it('takes current-context from the first file that sets one, and resolves relative paths against their own file', function () {
    const config = loadKubeConfig({ KUBECONFIG: ['', second, first].join(delimiter), HOME: dir });
    assert.equal(config.getCurrentContext(), 'lab');
    assert.equal(config.getCurrentCluster()?.caFile, join(dir, 'elsewhere', 'ca.pem'));
    assert.equal(config.getClusters().find((cluster) => cluster.name === 'shared')?.server, 'https://second.example.com:6443');
  });

  it('skips files that do not exist, and names them all when none does', function () {
    assert.equal(loadKubeConfig({ KUBECONFIG: [join(dir, 'missing'), first].join(delimiter), HOME: dir }).getCurrentContext(), 'work');
    assert.throws(() => loadKubeConfig({ KUBECONFIG: [join(dir, 'a'), join(dir, 'b')].join(delimiter), HOME: dir }),
      (error: unknown) => error instanceof KubeConfigError && error.message.includes(join(dir, 'a')) && error.message.includes(join(dir, 'b')));
    assert.throws(() => loadKubeConfig({ KUBECONFIG: join(dir, 'a'), HOME: dir }), /KUBECONFIG file .*a does not exist/);
  });
});
