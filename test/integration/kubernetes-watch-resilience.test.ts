/**
 * What the Kubernetes policy source and the status writer must keep doing
 * when the API server behaves as real ones do — with the real
 * @kubernetes/client-node client against KubernetesAPIDouble:
 *   - a watch that ends is resumed from the last resourceVersion, so an
 *     object deleted while no watch was open is seen as deleted;
 *   - a 410 Gone (an in-stream ERROR event, or a plain HTTP 410 answer) leads
 *     to a relist, and the policies stay in force while that relist fails;
 *   - the first snapshot waits for the first list of every watched namespace;
 *   - only the replica holding the Lease writes status, and a replica that
 *     loses it stops, even for writes it had queued.
 */
import { strict as assert } from 'node:assert';
import { Backoff } from '../../src/kubernetes/backoff.ts';
import { IssuerKeyStore } from '../../src/keys/issuer-key-store.ts';
import { createLogger } from '../../src/obs/logger.ts';
import { PolicyStore } from '../../src/policy/policy-store.ts';
import { createKubernetesPolicies, type KubernetesPolicies } from '../../src/kubernetes/kubernetes-policies.ts';
import { KubernetesPolicySource } from '../../src/kubernetes/kubernetes-policy-source.ts';
import { KubernetesAPIDouble } from '../support/kubernetes-api-double.ts';
import { capturingDestination } from '../support/secret-ledger.ts';
import { eventually } from '../support/service-harness.ts';

function policyObject(name: string, namespace: string): Record<string, unknown> {
  return {
    apiVersion: 'audienceguard.dev/v1alpha1',
    kind: 'AudiencePolicy',
    metadata: { name, namespace },
    spec: { resource: `https://${name}.${namespace}.example.com/mcp`, issuers: [{ issuer: 'https://idp.example.com' }] },
  };
}

describe('Kubernetes watch resilience (real client, API double)', function () {
  let api: KubernetesAPIDouble;
  let store: PolicyStore;
  let source: KubernetesPolicySource | undefined;
  /** Policy count of every snapshot published, in order. */
  let sizes: number[];
  /** `phase namespace` of every failed list or watch. */
  let failures: string[];

  const ids = (): string[] => store.current().policies.map((policy) => policy.id).sort();
  const failed = (phase: 'list' | 'watch', namespace: string): number => failures.filter((entry) => entry === `${phase} ${namespace}`).length;

  function createSource(namespaces: string[]): KubernetesPolicySource {
    store = new PolicyStore();
    store.onUpdate(({ snapshot }) => sizes.push(snapshot.policies.length));
    source = new KubernetesPolicySource(api.kubeConfig(), store, { namespaces, rebuildDelayMs: 5, backoff: () => new Backoff(10, 40) }, {
      failed: (_error, phase, namespace) => { failures.push(`${phase} ${namespace ?? ''}`); },
    });
    return source;
  }

  beforeEach(async function () {
    api = new KubernetesAPIDouble();
    await api.start();
    source = undefined;
    sizes = [];
    failures = [];
  });
  afterEach(async function () {
    await source?.stop();
    await api.close();
  });

  it('attack: a policy deleted while the watch was down must not keep serving (the watch resumes from its resourceVersion)', async function () {
    api.apply(policyObject('weather', 'mcp'));
    api.apply(policyObject('revoked', 'mcp'));
    await createSource(['mcp']).start();
    await eventually(() => api.openWatches() === 1);
    const lists = api.listCount;
    api.unavailable = true; // the resumed watch fails until the API is back
    api.dropWatches();
    await eventually(() => failed('watch', 'mcp') > 0);
    api.delete('mcp', 'revoked');
    api.apply(policyObject('news', 'mcp'));
    api.unavailable = false;
    await eventually(() => ids().includes('mcp/news'));
    assert.deepEqual(ids(), ['mcp/news', 'mcp/weather'], 'the deletion was replayed, not missed');
    assert.equal(api.listCount, lists, 'resumed from its resourceVersion, without a relist');
  });

  for (const goneAs of ['error-event', 'http-status'] as const) {
    it(`attack: a 410 Gone (${goneAs}) followed by failing relists must not drop that namespace's policies from the next snapshot`, async function () {
      api.goneAs = goneAs;
      api.apply(policyObject('weather', 'team-a'));
      api.apply(policyObject('calendar', 'team-b'));
      await createSource(['team-a', 'team-b']).start();
      await eventually(() => api.openWatches() === 2);
      api.failListsIn.add('team-a');
      api.apply(policyObject('news', 'team-b')); // history moves on: team-a's resourceVersion falls behind
      await eventually(() => ids().includes('team-b/news'));
      if (goneAs === 'error-event') {
        api.expireWatches('team-a'); // compacts, and ends team-a's watch with an ERROR 410 event
      } else {
        api.compact();
        api.closeWatches('team-a'); // team-a resumes from a compacted version: HTTP 410
      }
      await eventually(() => failed('list', 'team-a') >= 2);
      api.apply(policyObject('sports', 'team-b')); // team-b's watch is still open: a new snapshot is built now
      await eventually(() => ids().includes('team-b/sports'));
      assert.deepEqual(ids(), ['team-a/weather', 'team-b/calendar', 'team-b/news', 'team-b/sports'], 'team-a keeps its last listed policies');
      api.failListsIn.delete('team-a');
      api.apply(policyObject('late', 'team-a'));
      await eventually(() => ids().includes('team-a/late'), 10_000);
      assert.deepEqual(ids(), ['team-a/late', 'team-a/weather', 'team-b/calendar', 'team-b/news', 'team-b/sports']);
      assert.ok(sizes.every((size) => size >= 2), `snapshot sizes seen: ${sizes.join(',')}`);
    });
  }

  it('attack: a first snapshot built before every namespace has listed must not exist (no partial policy set, not ready)', async function () {
    api.apply(policyObject('weather', 'team-a'));
    api.apply(policyObject('calendar', 'team-b'));
    api.failListsIn.add('team-b');
    const started = createSource(['team-a', 'team-b']).start();
    let ready = false;
    void started.then(() => { ready = true; });
    // team-a has listed (its watch is open) while team-b's list keeps failing.
    await eventually(() => api.accesses.some((access) => access.verb === 'watch' && access.namespace === 'team-a'));
    const failuresThen = failed('list', 'team-b');
    await eventually(() => failed('list', 'team-b') >= failuresThen + 2);
    source?.rebuild();
    assert.deepEqual(sizes, [], 'no snapshot with team-a alone');
    assert.equal(store.loaded(), false);
    assert.equal(ready, false, 'start() has not resolved');
    api.failListsIn.delete('team-b');
    await started;
    assert.deepEqual(ids(), ['team-a/weather', 'team-b/calendar']);
    assert.deepEqual(sizes.slice(0, 1), [2], 'the first snapshot holds both namespaces');
  });
});

describe('status is written only by the Lease holder (real client, API double)', function () {
  const LEASE = { namespace: 'audience-guard', name: 'audience-guard-status' };
  const RENEW_MS = 40;
  let api: KubernetesAPIDouble;
  let replica: KubernetesPolicies | undefined;

  /** Holds the Lease for another replica, renewed just now (or long ago: then it has expired). */
  function leaseHeldByOther(renewedMsAgo = 0): void {
    const key = `${LEASE.namespace}/${LEASE.name}`;
    const version = String(Number(api.leases.get(key)?.metadata.resourceVersion ?? '1') + 1);
    api.leases.set(key, {
      apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { ...LEASE, resourceVersion: version },
      spec: { holderIdentity: 'replica-other', leaseDurationSeconds: 30, renewTime: new Date(Date.now() - renewedMsAgo).toISOString(), leaseTransitions: 0 },
    });
  }

  const leaseReads = (): number => api.accesses.filter((access) => access.resource === 'leases' && access.verb === 'get').length;

  /**
   * Waits for three more Lease rounds of this replica: each round is a timer of
   * RENEW_MS set after the previous one ended, so every status reconcile
   * scheduled before (it is coalesced over 50 ms) has run, and what it sent is done.
   */
  async function letTheReplicaAct(): Promise<void> {
    const reads = leaseReads();
    await eventually(() => leaseReads() >= reads + 3);
    await replica?.statusWriter.idle();
  }

  /** Starts a replica; resolves after its first complete list. */
  function startReplica(): Promise<void> {
    replica = createKubernetesPolicies({
      config: api.kubeConfig(), namespaces: ['mcp'], lease: { ...LEASE, identity: 'replica-b' },
      leaseDurationSeconds: 30, renewIntervalMs: RENEW_MS, statusRetryMs: 50,
    }, { store: new PolicyStore(), keys: new IssuerKeyStore(), logger: createLogger('info', capturingDestination()), events: { rejected: () => undefined } });
    return replica.start();
  }

  beforeEach(async function () {
    api = new KubernetesAPIDouble();
    await api.start();
    replica = undefined;
  });
  afterEach(async function () {
    await replica?.stop();
    await api.close();
  });

  it('attack: a replica that does not hold the Lease must not write status; it writes once it takes the Lease over', async function () {
    leaseHeldByOther();
    api.apply(policyObject('weather', 'mcp'));
    await startReplica();
    await letTheReplicaAct();
    assert.equal(replica?.leader.isLeader, false);
    assert.deepEqual(api.statusPatches(), [], 'no status write without the Lease');
    leaseHeldByOther(60_000); // the other replica stopped renewing: its Lease expired
    await eventually(() => replica?.leader.isLeader === true);
    await eventually(() => api.statusPatches('weather').length > 0);
  });

  it('attack: a leader that lost the Lease must stop writing status, including writes it had queued', async function () {
    api.apply(policyObject('weather', 'mcp'));
    await startReplica();
    await eventually(() => api.statusPatches('weather').length > 0);
    await replica?.statusWriter.idle();
    api.statusPatchDelayMs = 1_000; // the next write stays in flight while the Lease is lost
    api.apply(policyObject('first', 'mcp'));
    api.apply(policyObject('second', 'mcp'));
    await eventually(() => api.statusPatches('first').length + api.statusPatches('second').length > 0);
    leaseHeldByOther(); // another replica took the Lease over
    await eventually(() => replica?.leader.isLeader === false);
    api.apply(policyObject('third', 'mcp'));
    await letTheReplicaAct();
    api.statusPatchDelayMs = 0;
    await letTheReplicaAct();
    const written = ['first', 'second', 'third'].filter((name) => api.statusPatches(name).length > 0);
    assert.equal(written.length, 1, `only the write already in flight when the Lease was lost: ${written.join(',')}`);
  });
});
