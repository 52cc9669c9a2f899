/**
 * Introspection in Kubernetes mode, end to end: policies from KubernetesAPIDouble
 * are written by tenants, so their introspection endpoints obey the endpoint
 * guard (https, never loopback or link-local, unless --allow-insecure-endpoints),
 * their client secret files the --secret-file-dir rule, and their clientSecretRef
 * is read from a Secret of the policy's own namespace.
 */
import { strict as assert } from 'node:assert';
import { createLogger } from '../../src/obs/logger.ts';
import type { PolicyStatus } from '../../src/kubernetes/policy-status.ts';
import { DEFAULT_TENANT_RULE_OPTIONS } from '../../src/policy/tenant-rules.ts';
import { startService, type RunningService } from '../../src/server/audience-guard-service.ts';
import { startAuthorizationServer, type LocalAuthorizationServer } from '../support/authorization-server.ts';
import { EnvoyCheckClient, httpStatus } from '../support/envoy-check-client.ts';
import { GUARD_CLIENT, reasonOf } from '../support/introspection-harness.ts';
import { KubernetesAPIDouble } from '../support/kubernetes-api-double.ts';
import { startConnectionCounter, type ConnectionCounter } from '../support/local-endpoints.ts';
import { capturingDestination, recordToken } from '../support/secret-ledger.ts';
import { eventually, TEST_LEASE, TEST_SERVICE_SETTINGS } from '../support/service-harness.ts';

const RESOURCE = 'https://tickets.example.com/mcp';
const SECRET_REF = { name: 'introspection', key: 'client-secret' };

function policy(name: string, issuer: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'audienceguard.dev/v1alpha1', kind: 'AudiencePolicy', metadata: { name, namespace: 'mcp' }, spec: { resource: RESOURCE, issuers: [issuer] } };
}

function conditionsOf(api: KubernetesAPIDouble, name: string): Record<string, { status: string; reason: string; message: string }> {
  const status = api.get('mcp', name)?.status as PolicyStatus | undefined;
  return Object.fromEntries((status?.conditions ?? []).map((condition) => [condition.type, condition]));
}

describe('introspection in Kubernetes mode', function () {
  let auth: LocalAuthorizationServer;
  let counter: ConnectionCounter;
  let api: KubernetesAPIDouble;
  let service: RunningService;
  let client: EnvoyCheckClient;

  const start = async (allowInsecureEndpoints: boolean, document: Record<string, unknown>): Promise<void> => {
    api = new KubernetesAPIDouble();
    await api.start();
    api.secrets.set('mcp/introspection', {
      apiVersion: 'v1', kind: 'Secret', metadata: { name: SECRET_REF.name, namespace: 'mcp' },
      data: { [SECRET_REF.key]: Buffer.from(GUARD_CLIENT.clientSecret).toString('base64') },
    });
    api.apply(document);
    service = await startService({
      policyFiles: [],
      kubernetes: {
        config: api.kubeConfig(), namespaces: [], lease: TEST_LEASE, renewIntervalMs: 200, statusRetryMs: 100,
        tenantRules: { ...DEFAULT_TENANT_RULE_OPTIONS, allowInsecureEndpoints, secretFileDirs: ['/var/run/audience-guard'] },
      },
      ...TEST_SERVICE_SETTINGS,
    }, createLogger('info', capturingDestination()));
    client = new EnvoyCheckClient(service.grpcPort);
    await service.kubernetes?.synced;
  };
  const check = async (): Promise<ReturnType<EnvoyCheckClient['check']>> => {
    const token = recordToken(await auth.issueToken({ resource: RESOURCE }));
    return client.check({ authority: 'tickets.example.com', headers: { authorization: `Bearer ${token}` } });
  };

  before(async function () {
    auth = await startAuthorizationServer({
      resources: [{ resource: RESOURCE, scopes: ['mcp:tools'] }], clients: [GUARD_CLIENT], introspection: { opaqueResources: [RESOURCE] },
    });
  });
  after(async function () {
    await auth.close();
  });
  beforeEach(async function () {
    counter = await startConnectionCounter();
  });
  afterEach(async function () {
    client.close();
    await service.stop(1_000);
    await api.close();
    await counter.close();
  });

  it('attack: an http introspection endpoint at loopback must be Accepted=False (InsecureEndpoint) and never contacted', async function () {
    await start(false, policy('loopback', {
      issuer: `https://localhost:${String(counter.port)}`,
      introspection: { endpoint: `http://127.0.0.1:${String(counter.port)}/introspect`, clientId: GUARD_CLIENT.clientId, clientSecretRef: SECRET_REF },
    }));
    await eventually(() => conditionsOf(api, 'loopback').Accepted?.status === 'False');
    const accepted = conditionsOf(api, 'loopback').Accepted;
    assert.equal(accepted?.reason, 'InsecureEndpoint');
    assert.match(accepted.message, /\/spec\/issuers\/0\/introspection\/endpoint: must use https/);
    assert.equal(httpStatus(await check()), 503);
    assert.equal(counter.connections(), 0);
  });

  it('attack: an introspection endpoint whose name resolves to loopback must be refused at connection time (503), never contacted', async function () {
    await start(false, policy('localhost', {
      issuer: `https://localhost:${String(counter.port)}`,
      introspection: { endpoint: `https://localhost:${String(counter.port)}/introspect`, clientId: GUARD_CLIENT.clientId, clientSecretRef: SECRET_REF },
    }));
    await eventually(() => conditionsOf(api, 'localhost').Accepted?.status === 'True');
    const response = await check();
    assert.equal(httpStatus(response), 503);
    assert.equal(reasonOf(response), 'introspection_unavailable');
    assert.equal(counter.connections(), 0);
  });

  it('attack: a client secret file outside --secret-file-dir DIR/<namespace>/ must be Accepted=False (SecretFileNotAllowed) and never read', async function () {
    await start(false, policy('secret-file', {
      issuer: `https://localhost:${String(counter.port)}`,
      introspection: { clientId: GUARD_CLIENT.clientId, clientSecretFile: '/var/run/secrets/kubernetes.io/serviceaccount/token' },
    }));
    await eventually(() => conditionsOf(api, 'secret-file').Accepted?.status === 'False');
    const accepted = conditionsOf(api, 'secret-file').Accepted;
    assert.equal(accepted?.reason, 'SecretFileNotAllowed');
    assert.match(accepted.message, /\/spec\/issuers\/0\/introspection\/clientSecretFile/);
  });

  it('introspects with the Secret of the policy\'s namespace at a loopback issuer with --allow-insecure-endpoints', async function () {
    await start(true, policy('allowed', { issuer: auth.issuer, introspection: { clientId: GUARD_CLIENT.clientId, clientSecretRef: SECRET_REF } }));
    await eventually(() => conditionsOf(api, 'allowed').Accepted?.status === 'True');
    const before = auth.introspection?.introspectionRequestCount() ?? 0;
    const response = await check();
    assert.equal(response.status?.code ?? 0, 0);
    assert.equal((auth.introspection?.introspectionRequestCount() ?? 0) - before, 1);
  });
});
