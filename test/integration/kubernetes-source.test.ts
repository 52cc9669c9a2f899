/**
 * The Kubernetes policy source, driven by the real @kubernetes/client-node
 * client against KubernetesAPIDouble (test/support/kubernetes-api-double.ts):
 * list then watch, changes reaching the snapshot, invalid objects rejected
 * alone, 410 relists without dropping policies, dropped connections, 500s,
 * outages and slow answers — the last snapshot serving throughout.
 */
import { strict as assert } from 'node:assert';
import { Watch } from '@kubernetes/client-node';
import { Backoff } from '../../src/kubernetes/backoff.ts';
import { ListWatch } from '../../src/kubernetes/list-watch.ts';
import { PolicyStore } from '../../src/policy/policy-store.ts';
import { KubernetesPolicySource, type ObservedPolicy } from '../../src/kubernetes/kubernetes-policy-source.ts';
import { KubernetesAPIDouble } from '../support/kubernetes-api-double.ts';
import { eventually } from '../support/service-harness.ts';

export function policyObject(name: string, namespace: string, spec: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'audienceguard.dev/v1alpha1',
    kind: 'AudiencePolicy',
    metadata: { name, namespace },
    spec: { resource: `https://${name}.example.com/mcp`, issuers: [{ issuer: 'https://idp.example.com' }], ...spec },
  };
}

describe('Kubernetes policy source (real client, API double)', function () {
  let api: KubernetesAPIDouble;
  let store: PolicyStore;
  let source: KubernetesPolicySource;
  let observed: readonly ObservedPolicy[] = [];
  let failures: string[] = [];
  const sizes: number[] = [];

  // Policies in force; placeholders of refused objects are counted apart.
  const ids = (): string[] => store.current().policies.filter((policy) => policy.unavailable !== true).map((policy) => policy.id).sort();

  async function startSource(namespaces: string[] = []): Promise<void> {
    store = new PolicyStore();
    store.onUpdate(({ snapshot }) => sizes.push(snapshot.policies.length));
    source = new KubernetesPolicySource(api.kubeConfig(), store, { namespaces, rebuildDelayMs: 5, backoff: () => new Backoff(10, 50) }, {
      observed: (policies) => { observed = policies; },
      failed: (error, phase) => { failures.push(`${phase}: ${error.message}`); },
    });
    await source.start();
  }

  beforeEach(async function () {
    api = new KubernetesAPIDouble();
    await api.start();
    sizes.length = 0;
    failures = [];
  });
  afterEach(async function () {
    await source.stop();
    await api.close();
  });

  it('lists existing policies and is ready only after the first complete list', async function () {
    api.apply(policyObject('weather', 'mcp'));
    api.apply(policyObject('calendar', 'tools'));
    await startSource();
    assert.deepEqual(ids(), ['mcp/weather', 'tools/calendar']);
    assert.equal(store.loaded(), true);
    assert.deepEqual(sizes, [2], 'no partial snapshot before the list completed');
  });

  it('applies adds, updates and deletes from the watch', async function () {
    await startSource();
    api.apply(policyObject('weather', 'mcp'));
    await eventually(() => ids().includes('mcp/weather'));
    api.apply(policyObject('weather', 'mcp', { mode: 'Permissive' }));
    await eventually(() => store.current().byId('mcp/weather')?.mode === 'Permissive');
    assert.equal(store.current().byId('mcp/weather')?.generation, 2);
    api.delete('mcp', 'weather');
    await eventually(() => ids().length === 0);
  });

  it('watches only the given namespaces', async function () {
    await startSource(['mcp']);
    api.apply(policyObject('other', 'elsewhere'));
    api.apply(policyObject('weather', 'mcp'));
    await eventually(() => ids().includes('mcp/weather'));
    assert.deepEqual(ids(), ['mcp/weather']);
  });

  it('rejects an invalid object alone; the others keep working, and the reasons are kept for status', async function () {
    api.apply(policyObject('weather', 'mcp'));
    api.apply(policyObject('broken', 'mcp', { resource: 'http://broken.example.com/mcp' }));
    await startSource();
    assert.deepEqual(ids(), ['mcp/weather']);
    const broken = observed.find((entry) => entry.id === 'mcp/broken');
    assert.equal(broken?.problems[0]?.path, '/spec/resource');
    assert.equal(observed.find((entry) => entry.id === 'mcp/weather')?.problems.length, 0);
  });

  it('relists after 410 Gone without ever dropping the policies it had', async function () {
    api.apply(policyObject('weather', 'mcp'));
    await startSource();
    await eventually(() => api.openWatches() > 0); // the 410 must reach an open watch
    const lists = api.listCount;
    api.expireWatches();
    api.apply(policyObject('calendar', 'mcp'));
    await eventually(() => ids().includes('mcp/calendar'));
    assert.ok(api.listCount > lists, 'a relist happened');
    assert.ok(sizes.every((size) => size >= 1), `snapshot sizes seen: ${sizes.join(',')}`);
  });

  it('resumes from its resourceVersion after a dropped watch connection, and catches up on missed events', async function () {
    api.apply(policyObject('weather', 'mcp'));
    await startSource();
    const watches = api.watchCount;
    api.dropWatches();
    api.apply(policyObject('calendar', 'mcp')); // may happen while no watch is open: replayed on resume
    await eventually(() => ids().includes('mcp/calendar'));
    assert.ok(api.watchCount > watches);
  });

  it('moves its resourceVersion forward on BOOKMARKs (a later resume starts from there)', async function () {
    await startSource();
    api.apply(policyObject('weather', 'mcp'));
    await eventually(() => ids().includes('mcp/weather'));
    const loop = new ListWatch({
      list: () => Promise.resolve({ items: [], resourceVersion: '1' }),
      watchPath: '/apis/audienceguard.dev/v1alpha1/audiencepolicies',
      watch: new Watch(api.kubeConfig()),
      onChange: () => undefined,
      onError: (error) => { failures.push(error.message); },
      backoff: new Backoff(10, 50),
    });
    loop.start();
    try {
      await eventually(() => api.openWatches() >= 2);
      api.bookmark();
      const target = String(api.resourceVersion);
      await eventually(() => loop.resourceVersion === target);
    } finally {
      await loop.stop();
    }
  });

  it('retries a failing list with backoff and then syncs', async function () {
    api.apply(policyObject('weather', 'mcp'));
    api.failLists = 3;
    await startSource();
    assert.deepEqual(ids(), ['mcp/weather']);
    assert.equal(failures.filter((failure) => failure.startsWith('list')).length, 3);
  });

  it('keeps the last snapshot serving through an API outage, and recovers', async function () {
    api.apply(policyObject('weather', 'mcp'));
    await startSource();
    api.unavailable = true;
    api.dropWatches();
    await eventually(() => failures.length > 0);
    assert.deepEqual(ids(), ['mcp/weather'], 'still serving the last snapshot');
    api.unavailable = false;
    api.apply(policyObject('calendar', 'mcp'));
    await eventually(() => ids().includes('mcp/calendar'), 10_000);
  });

  it('copes with slow answers', async function () {
    api.apply(policyObject('weather', 'mcp'));
    api.delayMs = 300;
    await startSource();
    assert.deepEqual(ids(), ['mcp/weather']);
  });

  it('resolves conflicts for the oldest policy and reports the younger one', async function () {
    api.apply(policyObject('first', 'mcp', { resource: 'https://shared.example.com/mcp' }));
    api.apply(policyObject('second', 'mcp', { resource: 'https://shared.example.com/mcp' }));
    await startSource();
    const [conflict] = store.current().conflicts;
    assert.equal(conflict?.policy.id, 'mcp/second');
    assert.equal(conflict.winner.id, 'mcp/first');
  });
});
