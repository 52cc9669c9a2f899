/**
 * Cached upstream tokens belong to one policy object and its upstream settings
 * (end to end, real service, real oidc-provider token endpoint): a changed
 * `upstream` block, or a policy deleted and created again under the same name,
 * gets a new token. File-mode policies have no generation (always 0) and a
 * re-created Kubernetes object starts at generation 1 again, so neither may
 * decide it.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { createLogger } from '../../src/obs/logger.ts';
import { DEFAULT_TENANT_RULE_OPTIONS } from '../../src/policy/tenant-rules.ts';
import { startService, type RunningService } from '../../src/server/audience-guard-service.ts';
import { startAuthorizationServer, type LocalAuthorizationServer } from '../support/authorization-server.ts';
import { EnvoyCheckClient, headerValue, type EnvoyCheckResponse } from '../support/envoy-check-client.ts';
import { KubernetesAPIDouble } from '../support/kubernetes-api-double.ts';
import { capturingDestination, recordToken } from '../support/secret-ledger.ts';
import { eventually, type Harness, MCP_RESOURCE, policyYAML, startHarness, TEST_LEASE, TEST_SERVICE_SETTINGS } from '../support/service-harness.ts';

const UPSTREAM = 'https://api.weather.example.com';
const OTHER_UPSTREAM = 'https://api.alerts.example.com';
const TOOLS = 'https://tools.example.com/mcp';
const SERVICE = { clientId: 'weather-mcp', clientSecret: 'weather-mcp-secret' };
const RESOURCES = [{ resource: MCP_RESOURCE, scopes: ['mcp:tools'] }, { resource: TOOLS, scopes: ['mcp:tools'] }, { resource: UPSTREAM, scopes: ['forecast:read'] }, { resource: OTHER_UPSTREAM, scopes: ['alerts:read'] }];

function upstreamTokenOf(response: EnvoyCheckResponse): string {
  assert.equal(response.status?.code ?? 0, 0, JSON.stringify(response.status));
  return recordToken((headerValue(response.ok_response?.headers, 'authorization') ?? '').replace(/^Bearer /, ''));
}

describe('upstream tokens per policy object and upstream settings: policy files', function () {
  let harness: Harness;
  let dir: string;
  let secretFile: string;
  const exchangePolicy = (issuer: string, audience: string): string =>
    policyYAML(issuer, { extra: `  upstream:\n    tokenExchange:\n      issuer: ${issuer}\n      audience: ${audience}\n      clientId: ${SERVICE.clientId}\n      clientSecretFile: ${secretFile}\n` });
  const toolsPolicy = (issuer: string): string =>
    policyYAML(issuer, { name: 'tools', resource: TOOLS, extra: `  upstream:\n    clientCredentials:\n      tokenEndpoint: ${issuer}/token\n      resource: ${UPSTREAM}\n      clientId: ${SERVICE.clientId}\n      clientSecretFile: ${secretFile}\n` });

  before(async function () {
    dir = await mkdtemp(join(tmpdir(), 'audience-guard-upstream-identity-'));
    secretFile = join(dir, 'client-secret');
    await writeFile(secretFile, SERVICE.clientSecret);
    harness = await startHarness({ resources: RESOURCES, clients: [SERVICE], policies: (issuer) => [exchangePolicy(issuer, UPSTREAM), toolsPolicy(issuer)].join('---\n') });
  });
  after(async function () {
    await harness.close();
    await rm(dir, { recursive: true, force: true });
  });

  const tools = async (token: string): Promise<EnvoyCheckResponse> => harness.client.check({ authority: 'tools.example.com', headers: { authorization: `Bearer ${token}` } });

  it('attack: token exchange after the upstream audience changed in the file must give a token for the new audience, not the cached one', async function () {
    const client = await harness.token({ resource: MCP_RESOURCE });
    const check = async (): Promise<EnvoyCheckResponse> => harness.client.check({ headers: { authorization: `Bearer ${client}` } });
    assert.equal(decodeJwt(upstreamTokenOf(await check())).aud, UPSTREAM);
    await harness.writePolicies([exchangePolicy(harness.auth.issuer, OTHER_UPSTREAM), toolsPolicy(harness.auth.issuer)].join('---\n'));
    await eventually(() => harness.service.store.current().byId('mcp/mcp')?.upstream?.audience === OTHER_UPSTREAM);
    assert.equal(decodeJwt(upstreamTokenOf(await check())).aud, OTHER_UPSTREAM);
  });

  it('keeps a policy\'s token while other policies in the files change', async function () {
    const client = await harness.token({ resource: TOOLS });
    upstreamTokenOf(await tools(client));
    const requests = harness.auth.clientCredentialsCount();
    await harness.writePolicies([exchangePolicy(harness.auth.issuer, UPSTREAM), toolsPolicy(harness.auth.issuer)].join('---\n'));
    await eventually(() => harness.service.store.current().byId('mcp/mcp')?.upstream?.audience === UPSTREAM);
    upstreamTokenOf(await tools(client));
    assert.equal(harness.auth.clientCredentialsCount(), requests);
  });

  it('attack: a policy removed from the files and added again must not be given the old object\'s token', async function () {
    const client = await harness.token({ resource: TOOLS });
    upstreamTokenOf(await tools(client));
    await harness.writePolicies(exchangePolicy(harness.auth.issuer, UPSTREAM));
    await eventually(() => harness.service.store.current().byId('mcp/tools') === undefined);
    await harness.writePolicies([exchangePolicy(harness.auth.issuer, UPSTREAM), toolsPolicy(harness.auth.issuer)].join('---\n'));
    await eventually(() => harness.service.store.current().byId('mcp/tools') !== undefined);
    const requests = harness.auth.clientCredentialsCount();
    upstreamTokenOf(await tools(client));
    assert.equal(harness.auth.clientCredentialsCount(), requests + 1, 'a new token request for the new object');
  });
});

describe('upstream tokens per policy object and upstream settings: Kubernetes API', function () {
  let auth: LocalAuthorizationServer;
  let api: KubernetesAPIDouble;
  let service: RunningService;
  let client: EnvoyCheckClient;

  before(async function () {
    auth = await startAuthorizationServer({ resources: RESOURCES, clients: [SERVICE] });
    api = new KubernetesAPIDouble();
    await api.start();
    api.secrets.set('mcp/tools-upstream', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'tools-upstream', namespace: 'mcp' }, data: { 'client-secret': Buffer.from(SERVICE.clientSecret).toString('base64') } });
    service = await startService({
      policyFiles: [],
      // The test's authorization server is plain http on loopback (development setting).
      kubernetes: { config: api.kubeConfig(), namespaces: [], lease: TEST_LEASE, tenantRules: { ...DEFAULT_TENANT_RULE_OPTIONS, allowInsecureEndpoints: true } },
      ...TEST_SERVICE_SETTINGS,
    }, createLogger('info', capturingDestination()));
    client = new EnvoyCheckClient(service.grpcPort);
    await service.kubernetes?.synced;
  });
  after(async function () {
    client.close();
    await service.stop(1_000);
    await api.close();
    await auth.close();
  });

  const policy = (labels: Record<string, string> = {}): Record<string, unknown> => ({
    apiVersion: 'audienceguard.dev/v1alpha1', kind: 'AudiencePolicy', metadata: { name: 'tools', namespace: 'mcp', labels },
    spec: { resource: TOOLS, issuers: [{ issuer: auth.issuer }], upstream: { clientCredentials: { tokenEndpoint: auth.tokenEndpoint, resource: UPSTREAM, clientId: SERVICE.clientId, clientSecretRef: { name: 'tools-upstream', key: 'client-secret' } } } },
  });
  let token: string;
  const check = async (): Promise<EnvoyCheckResponse> => client.check({ authority: 'tools.example.com', headers: { authorization: `Bearer ${token}` } });

  it('keeps the token while the object changes outside spec.upstream (a new resourceVersion, same uid)', async function () {
    token = recordToken(await auth.issueToken({ resource: TOOLS }));
    api.apply(policy());
    await eventually(() => service.store.current().byId('mcp/tools') !== undefined);
    upstreamTokenOf(await check());
    const compiled = service.store.current().byId('mcp/tools');
    const requests = auth.clientCredentialsCount();
    api.apply(policy({ team: 'tools' }));
    await eventually(() => service.store.current().byId('mcp/tools') !== compiled);
    upstreamTokenOf(await check());
    assert.equal(auth.clientCredentialsCount(), requests);
  });

  it('attack: a deleted and re-created AudiencePolicy (generation 1 again) must not be given the old object\'s token', async function () {
    upstreamTokenOf(await check());
    const first = service.store.current().byId('mcp/tools');
    api.delete('mcp', 'tools');
    await eventually(() => service.store.current().byId('mcp/tools') === undefined);
    api.apply(policy({ team: 'tools' }));
    await eventually(() => service.store.current().byId('mcp/tools') !== undefined);
    assert.equal(service.store.current().byId('mcp/tools')?.generation, first?.generation, 'the generation cannot tell the two objects apart');
    const requests = auth.clientCredentialsCount();
    upstreamTokenOf(await check());
    assert.equal(auth.clientCredentialsCount(), requests + 1, 'a new token request for the new object');
  });
});
