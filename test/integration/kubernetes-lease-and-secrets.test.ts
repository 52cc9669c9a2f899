/**
 * Lease leader election (only one replica writes status) and the Secret
 * reader (upstream credentials), with the real client library against
 * KubernetesAPIDouble. Time is an injected clock, so expiry needs no waiting.
 */
import { strict as assert } from 'node:assert';
import { LeaseLeaderElection } from '../../src/kubernetes/lease-leader-election.ts';
import { SecretReader, SecretUnavailableError } from '../../src/kubernetes/secret-reader.ts';
import { KubernetesAPIDouble } from '../support/kubernetes-api-double.ts';
import { allows, grantsOf, plainRBAC } from '../support/rbac.ts';

describe('Lease leader election', function () {
  let api: KubernetesAPIDouble;
  let now = Date.parse('2026-11-26T10:00:00Z');
  const elect = (identity: string, changes: boolean[] = []): LeaseLeaderElection => new LeaseLeaderElection(api.kubeConfig(), {
    namespace: 'audience-guard', name: 'audience-guard-status', identity, leaseDurationSeconds: 15, renewIntervalMs: 1_000, now: () => now,
  }, (leader) => changes.push(leader));

  beforeEach(async function () {
    api = new KubernetesAPIDouble();
    await api.start();
  });
  afterEach(async function () {
    await api.close();
  });

  it('lets exactly one of two replicas lead', async function () {
    const a = elect('replica-a');
    const b = elect('replica-b');
    assert.equal(await a.tryAcquireOrRenew(), true);
    assert.equal(await b.tryAcquireOrRenew(), false);
    now += 5_000;
    assert.equal(await a.tryAcquireOrRenew(), true, 'the leader renews');
    assert.equal(await b.tryAcquireOrRenew(), false, 'a renewed lease is not taken over');
  });

  it('hands over only after the lease expired without renewal, counting the transition', async function () {
    const a = elect('replica-a');
    const changes: boolean[] = [];
    const b = elect('replica-b', changes);
    await a.tryAcquireOrRenew();
    now += 14_000;
    assert.equal(await b.tryAcquireOrRenew(), false);
    now += 2_000;
    assert.equal(await b.tryAcquireOrRenew(), true);
    assert.deepEqual(changes, [true]);
    const spec = api.leases.get('audience-guard/audience-guard-status')?.spec as { holderIdentity: string; leaseTransitions: number };
    assert.equal(spec.holderIdentity, 'replica-b');
    assert.equal(spec.leaseTransitions, 1);
  });

  it('steps down when it cannot renew within the lease, so two never lead at once', async function () {
    const changes: boolean[] = [];
    const a = elect('replica-a', changes);
    await a.tryAcquireOrRenew();
    api.unavailable = true;
    now += 5_000;
    assert.equal(await a.tryAcquireOrRenew(), true, 'a short outage keeps the lead');
    now += 6_000;
    assert.equal(await a.tryAcquireOrRenew(), false, 'past two thirds of the lease it steps down');
    assert.deepEqual(changes, [true, false]);
  });

  it('loses a race for an expired lease cleanly (409 Conflict)', async function () {
    const a = elect('replica-a');
    await a.tryAcquireOrRenew();
    now += 20_000;
    const b = elect('replica-b');
    const c = elect('replica-c');
    const results = await Promise.all([b.tryAcquireOrRenew(), c.tryAcquireOrRenew()]);
    assert.equal(results.filter(Boolean).length, 1, `exactly one wins: ${JSON.stringify(results)}`);
  });
});

describe('Secret reader', function () {
  let api: KubernetesAPIDouble;
  let now = 0;
  const secret = (value: string): Record<string, unknown> => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'upstream', namespace: 'mcp' }, data: { 'client-secret': Buffer.from(value).toString('base64') } });

  beforeEach(async function () {
    api = new KubernetesAPIDouble();
    await api.start();
    api.secrets.set('mcp/upstream', secret('first') as never);
  });
  afterEach(async function () {
    await api.close();
  });

  it('reads a key of a Secret in the policy namespace', async function () {
    const reader = new SecretReader(api.kubeConfig(), { ttlMs: 30_000, now: () => now });
    assert.equal(await reader.read('mcp', 'upstream', 'client-secret'), 'first');
  });

  it('serves the cached value within the TTL and the rotated value after it', async function () {
    const reader = new SecretReader(api.kubeConfig(), { ttlMs: 30_000, now: () => now });
    await reader.read('mcp', 'upstream', 'client-secret');
    api.secrets.set('mcp/upstream', secret('second') as never);
    now += 10_000;
    assert.equal(await reader.read('mcp', 'upstream', 'client-secret'), 'first');
    now += 30_000;
    assert.equal(await reader.read('mcp', 'upstream', 'client-secret'), 'second');
  });

  it('keeps the last value while the API is unreachable', async function () {
    const reader = new SecretReader(api.kubeConfig(), { ttlMs: 1_000, now: () => now });
    await reader.read('mcp', 'upstream', 'client-secret');
    api.unavailable = true;
    now += 5_000;
    assert.equal(await reader.read('mcp', 'upstream', 'client-secret'), 'first');
  });

  it('gets only the one named Secret in the policy namespace, which deploy/kubernetes/rbac.yaml grants', async function () {
    api.authorize = (access) => allows(grantsOf(plainRBAC()), access);
    const reader = new SecretReader(api.kubeConfig(), { ttlMs: 1_000, now: () => now });
    assert.equal(await reader.read('mcp', 'upstream', 'client-secret'), 'first');
    assert.deepEqual(api.accesses, [{ group: '', resource: 'secrets', verb: 'get', namespace: 'mcp', name: 'upstream' }], 'never a list or watch of Secrets');
  });

  it('attack: a policy in a namespace without a Secret grant must not get that namespace\'s Secret read, nor learn its value', async function () {
    api.secrets.set('payments/upstream', secret('payments-secret') as never);
    api.authorize = (access) => allows(grantsOf(plainRBAC()), access);
    const reader = new SecretReader(api.kubeConfig(), { ttlMs: 1_000, now: () => now });
    await assert.rejects(reader.read('payments', 'upstream', 'client-secret'), (error: Error) => error instanceof SecretUnavailableError && !error.message.includes('payments-secret'));
  });

  it('fails with an error that names the Secret but never a value', async function () {
    const reader = new SecretReader(api.kubeConfig(), { ttlMs: 1_000, now: () => now });
    await assert.rejects(reader.read('mcp', 'missing', 'client-secret'), (error: Error) => error instanceof SecretUnavailableError && /mcp\/missing/.test(error.message));
    await assert.rejects(reader.read('mcp', 'upstream', 'other-key'), (error: Error) => error instanceof SecretUnavailableError && !error.message.includes('first'));
  });
});
