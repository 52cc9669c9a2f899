/**
 * audience-guard in Kubernetes mode, end to end on loopback: the real service
 * with policies from KubernetesAPIDouble (through the real client library),
 * tokens from a real oidc-provider, checks over gRPC with Envoy's protos — and
 * the policy status it writes: conditions, only on change, only as leader,
 * never in the way of checks.
 */
import { strict as assert } from 'node:assert';
import { decodeJwt } from 'jose';
import { createLogger } from '../../src/obs/logger.ts';
import { DEFAULT_TENANT_RULE_OPTIONS } from '../../src/policy/tenant-rules.ts';
import { startService, type RunningService } from '../../src/server/audience-guard-service.ts';
import type { PolicyStatus } from '../../src/kubernetes/policy-status.ts';
import { startAuthorizationServer, type LocalAuthorizationServer } from '../support/authorization-server.ts';
import { EnvoyCheckClient, headerValue, httpStatus } from '../support/envoy-check-client.ts';
import { KubernetesAPIDouble } from '../support/kubernetes-api-double.ts';
import { allows, grantsOf, plainRBAC } from '../support/rbac.ts';
import { capturingDestination, recordToken } from '../support/secret-ledger.ts';
import { DEFAULT_RESOURCES, eventually, MCP_RESOURCE, OTHER_RESOURCE, TEST_LEASE, TEST_SERVICE_SETTINGS } from '../support/service-harness.ts';

const UPSTREAM = 'https://api.weather.example.com';
const UPSTREAM_MCP = 'https://upstream.example.com/mcp';
const SERVICE = { clientId: 'weather-mcp', clientSecret: 'weather-mcp-secret' };

function policy(name: string, issuer: string, spec: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'audienceguard.dev/v1alpha1',
    kind: 'AudiencePolicy',
    metadata: { name, namespace: 'mcp' },
    spec: { resource: MCP_RESOURCE, issuers: [{ issuer }], ...spec },
  };
}

function conditionsOf(api: KubernetesAPIDouble, name: string): Record<string, { status: string; reason: string; message: string }> {
  const status = api.get('mcp', name)?.status as PolicyStatus | undefined;
  return Object.fromEntries((status?.conditions ?? []).map((condition) => [condition.type, condition]));
}

describe('serve with policies from the Kubernetes API', function () {
  let auth: LocalAuthorizationServer;
  let api: KubernetesAPIDouble;
  let service: RunningService;
  let client: EnvoyCheckClient;
  const logs: Record<string, unknown>[] = [];

  before(async function () {
    auth = await startAuthorizationServer({ resources: [...DEFAULT_RESOURCES, { resource: UPSTREAM_MCP, scopes: ['mcp:tools'] }, { resource: UPSTREAM, scopes: ['forecast:read'] }], clients: [SERVICE] });
    api = new KubernetesAPIDouble();
    await api.start();
    api.apply(policy('weather', auth.issuer));
    api.secrets.set('mcp/weather-upstream', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'weather-upstream', namespace: 'mcp' }, data: { 'client-secret': Buffer.from(SERVICE.clientSecret).toString('base64') } });
    service = await startService({
      policyFiles: [],
      // The test authorization server listens on loopback http: development settings.
      kubernetes: { config: api.kubeConfig(), namespaces: [], lease: TEST_LEASE, renewIntervalMs: 200, statusRetryMs: 100, tenantRules: { ...DEFAULT_TENANT_RULE_OPTIONS, allowInsecureEndpoints: true } },
      ...TEST_SERVICE_SETTINGS,
    }, createLogger('info', capturingDestination((line) => logs.push(JSON.parse(line) as Record<string, unknown>))));
    client = new EnvoyCheckClient(service.grpcPort);
    await service.kubernetes?.synced;
  });
  after(async function () {
    client.close();
    await service.stop(1_000);
    await api.close();
    await auth.close();
  });

  const check = async (token: string, authority = 'mcp.example.com') => client.check({ authority, headers: { authorization: `Bearer ${token}` } });

  it('is ready after the first complete list and decides with the listed policy', async function () {
    assert.equal((await fetch(`http://127.0.0.1:${service.adminPort}/readyz`)).status, 200);
    const token = recordToken(await auth.issueToken({ resource: MCP_RESOURCE }));
    assert.equal((await check(token)).status?.code ?? 0, 0);
  });

  it('takes the Lease and writes Accepted, Ready, Conflicted and AudienceOverlap with a merge patch', async function () {
    await eventually(() => conditionsOf(api, 'weather').Ready?.status === 'True');
    const conditions = conditionsOf(api, 'weather');
    assert.equal(conditions.Accepted?.status, 'True');
    assert.equal(conditions.Conflicted?.status, 'False');
    assert.equal(conditions.AudienceOverlap?.status, 'False');
    assert.equal((api.get('mcp', 'weather')?.status as PolicyStatus).observedGeneration, 1);
    assert.ok(api.statusPatches('weather').every((request) => request.contentType === 'application/merge-patch+json'));
    assert.equal((api.leases.get('audience-guard/audience-guard-status')?.spec as { holderIdentity: string }).holderIdentity, 'replica-a');
  });

  it('writes status only when it changes', async function () {
    await service.kubernetes?.statusWriter.idle();
    const before = api.statusPatches('weather').length;
    service.kubernetes?.reconcileStatus();
    api.bookmark();
    api.apply(policy('unrelated', auth.issuer, { resource: 'https://unrelated.example.com/mcp' }));
    await eventually(() => conditionsOf(api, 'unrelated').Ready?.status === 'True');
    await service.kubernetes?.statusWriter.idle();
    assert.equal(api.statusPatches('weather').length, before);
  });

  it('sees a new policy on the next check after its watch event', async function () {
    const other = recordToken(await auth.issueToken({ resource: OTHER_RESOURCE }));
    assert.equal(httpStatus(await check(other, 'other.example.com')), 403);
    api.apply(policy('other', auth.issuer, { resource: OTHER_RESOURCE }));
    await eventually(async () => ((await check(other, 'other.example.com')).status?.code ?? 0) === 0);
  });

  it('rejects an invalid object alone and says why in its status', async function () {
    api.apply(policy('broken', auth.issuer, { resource: 'http://broken.example.com/mcp' }));
    await eventually(() => conditionsOf(api, 'broken').Accepted?.status === 'False');
    assert.match(conditionsOf(api, 'broken').Accepted?.message ?? '', /\/spec\/resource: must use https/);
    assert.equal(conditionsOf(api, 'broken').Ready?.reason, 'PolicyUnavailable', 'it holds its claims (503 policy_unavailable) instead of being left out');
    const token = recordToken(await auth.issueToken({ resource: MCP_RESOURCE }));
    assert.equal((await check(token)).status?.code ?? 0, 0, 'the other policies keep working');
    assert.equal(logs.filter((line) => line.event === 'policy_rejected' && line.origin === 'mcp/broken').length, 1, 'logged once, not on every rebuild');
  });

  it('marks the younger of two policies claiming the same host and path as Conflicted, naming the winner', async function () {
    api.apply(policy('weather-copy', auth.issuer, { resource: MCP_RESOURCE, audiences: ['api://copy'] }));
    await eventually(() => conditionsOf(api, 'weather-copy').Conflicted?.status === 'True');
    assert.match(conditionsOf(api, 'weather-copy').Conflicted?.message ?? '', /mcp\/weather already claims host mcp\.example\.com path \/mcp/);
    assert.equal(conditionsOf(api, 'weather').Conflicted?.status, 'False');
  });

  it('flags two policies accepting the same audience in both statuses and in a metric', async function () {
    await eventually(() => conditionsOf(api, 'weather').AudienceOverlap?.status === 'True');
    assert.match(conditionsOf(api, 'weather').AudienceOverlap?.message ?? '', /mcp\/weather-copy also accepts https:\/\/mcp\.example\.com\/mcp/);
    assert.equal(conditionsOf(api, 'weather-copy').AudienceOverlap?.status, 'True');
    const metric = await service.metrics.registry.getSingleMetricAsString('audience_guard_audience_overlaps');
    assert.match(metric, /audience_guard_audience_overlaps 2/);
  });

  it('never lets a slow status write hold up a check', async function () {
    api.statusPatchDelayMs = 3_000;
    try {
      api.apply(policy('slow-status', auth.issuer, { resource: 'https://slow.example.com/mcp' }));
      await eventually(() => service.store.current().byId('mcp/slow-status') !== undefined);
      const token = recordToken(await auth.issueToken({ resource: MCP_RESOURCE }));
      const response = await client.check({ authority: 'mcp.example.com', headers: { authorization: `Bearer ${token}` } }, 1_000);
      assert.equal(response.status?.code ?? 0, 0);
    } finally {
      api.statusPatchDelayMs = 0;
    }
  });

  it('retries a failed status write', async function () {
    api.failStatusPatches = 2;
    api.apply(policy('retry', auth.issuer, { resource: 'https://retry.example.com/mcp' }));
    await eventually(() => conditionsOf(api, 'retry').Accepted?.status === 'True', 10_000);
    assert.equal(api.failStatusPatches, 0);
  });

  it('gives the upstream a token obtained with a client secret from a Secret in the policy namespace', async function () {
    api.apply(policy('upstream', auth.issuer, {
      resource: UPSTREAM_MCP,
      upstream: { clientCredentials: { tokenEndpoint: auth.tokenEndpoint, resource: UPSTREAM, clientId: SERVICE.clientId, clientSecretRef: { name: 'weather-upstream', key: 'client-secret' } } },
    }));
    await eventually(() => service.store.current().byId('mcp/upstream') !== undefined);
    const response = await check(recordToken(await auth.issueToken({ resource: UPSTREAM_MCP })), 'upstream.example.com');
    assert.equal(response.status?.code ?? 0, 0);
    const upstream = recordToken((headerValue(response.ok_response?.headers, 'authorization') ?? '').replace(/^Bearer /, ''));
    assert.equal(decodeJwt(upstream).aud, UPSTREAM);
  });

  it('needs no permission beyond deploy/kubernetes/rbac.yaml, in the namespaces it grants them, and uses every one it grants', function () {
    const manifests = plainRBAC();
    const grants = grantsOf(manifests);
    assert.deepEqual(api.accesses.filter((access) => !allows(grants, access)), []);
    const used = (group: string, resource: string, verb: string, namespace: string | undefined): boolean => api.accesses.some((access) =>
      access.group === group && access.resource === resource && access.verb === verb && (namespace === undefined || access.namespace === namespace));
    for (const { rule, namespace } of grants) {
      for (const resource of rule.resources) {
        for (const verb of rule.verbs) assert.ok(used(rule.apiGroups[0] ?? '', resource, verb, namespace), `granted but never used: ${resource} ${verb} in ${namespace ?? 'every namespace'}`);
      }
    }
  });

  it('keeps deciding with the last policies while the API server is down', async function () {
    api.unavailable = true;
    api.dropWatches();
    try {
      const token = recordToken(await auth.issueToken({ resource: MCP_RESOURCE }));
      assert.equal((await check(token)).status?.code ?? 0, 0);
      assert.equal((await fetch(`http://127.0.0.1:${service.adminPort}/readyz`)).status, 200);
    } finally {
      api.unavailable = false;
    }
  });
});
