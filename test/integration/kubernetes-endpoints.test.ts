/**
 * Endpoints named by tenants in Kubernetes mode, end to end: the real service
 * with policies from KubernetesAPIDouble. Without --allow-insecure-endpoints a
 * policy may not make the pod call its own loopback (a sidecar's admin port),
 * link-local addresses (cloud metadata) or plain http — refused at admission
 * when the URL spells such an address, at connection time when a name resolves
 * to one — and status never names resolved addresses. With the flag, the same
 * policies work (and reach the listeners the guard kept them from).
 */
import { strict as assert } from 'node:assert';
import { createLogger } from '../../src/obs/logger.ts';
import { DEFAULT_TENANT_RULE_OPTIONS } from '../../src/policy/tenant-rules.ts';
import { startService, type RunningService } from '../../src/server/audience-guard-service.ts';
import type { PolicyStatus } from '../../src/kubernetes/policy-status.ts';
import { startAuthorizationServer, type LocalAuthorizationServer } from '../support/authorization-server.ts';
import { EnvoyCheckClient, headerValue, httpStatus } from '../support/envoy-check-client.ts';
import { KubernetesAPIDouble } from '../support/kubernetes-api-double.ts';
import { startConnectionCounter, type ConnectionCounter } from '../support/local-endpoints.ts';
import { capturingDestination, recordToken } from '../support/secret-ledger.ts';
import { eventually, TEST_LEASE, TEST_SERVICE_SETTINGS } from '../support/service-harness.ts';

const SERVICE = { clientId: 'weather-mcp', clientSecret: 'weather-mcp-secret-endpoints' };
const SIDECAR = 'https://sidecar.example.com/mcp';
const LOCAL = 'https://local.example.com/mcp';
const WEATHER = 'https://weather.example.com/mcp';
const UPSTREAM = 'https://api.weather.example.com';
/** Resolved loopback addresses, in any spelling that could leak into a message. */
const LOOPBACK_ADDRESS = /127\.0\.0\.1|::1\b|::ffff|7f00/i;

function policy(name: string, resource: string, spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'audienceguard.dev/v1alpha1', kind: 'AudiencePolicy', metadata: { name, namespace: 'mcp' }, spec: { resource, ...spec } };
}

function clientCredentials(tokenEndpoint: string): Record<string, unknown> {
  return { clientCredentials: { tokenEndpoint, resource: UPSTREAM, clientId: SERVICE.clientId, clientSecretRef: { name: 'upstream', key: 'client-secret' } }, header: 'x-upstream-authorization' };
}

function conditionsOf(api: KubernetesAPIDouble, name: string): Record<string, { status: string; reason: string; message: string }> {
  const status = api.get('mcp', name)?.status as PolicyStatus | undefined;
  return Object.fromEntries((status?.conditions ?? []).map((condition) => [condition.type, condition]));
}

interface World {
  readonly api: KubernetesAPIDouble;
  readonly service: RunningService;
  readonly client: EnvoyCheckClient;
  close(): Promise<void>;
}

async function startWorld(allowInsecureEndpoints: boolean, policies: readonly Record<string, unknown>[]): Promise<World> {
  const api = new KubernetesAPIDouble();
  await api.start();
  api.secrets.set('mcp/upstream', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'upstream', namespace: 'mcp' }, data: { 'client-secret': Buffer.from(SERVICE.clientSecret).toString('base64') } });
  for (const document of policies) api.apply(document);
  const service = await startService({
    policyFiles: [],
    kubernetes: {
      config: api.kubeConfig(), namespaces: [], lease: TEST_LEASE, renewIntervalMs: 200, statusRetryMs: 100,
      tenantRules: { ...DEFAULT_TENANT_RULE_OPTIONS, allowInsecureEndpoints },
    },
    ...TEST_SERVICE_SETTINGS,
  }, createLogger('info', capturingDestination()));
  const client = new EnvoyCheckClient(service.grpcPort);
  await service.kubernetes?.synced;
  return {
    api, service, client,
    async close() {
      client.close();
      await service.stop(1_000);
      await api.close();
    },
  };
}

describe('endpoints named by tenants (Kubernetes mode)', function () {
  let auth: LocalAuthorizationServer;
  let sidecar: ConnectionCounter;
  let localIssuer: ConnectionCounter;

  before(async function () {
    auth = await startAuthorizationServer({
      resources: [{ resource: SIDECAR, scopes: ['mcp:tools'] }, { resource: WEATHER, scopes: ['mcp:tools'] }, { resource: UPSTREAM, scopes: ['forecast:read'] }],
      clients: [SERVICE],
    });
  });
  after(async function () {
    await auth.close();
  });
  const startCounters = async (): Promise<void> => {
    sidecar = await startConnectionCounter();
    localIssuer = await startConnectionCounter();
  };
  const stopCounters = async (): Promise<void> => {
    await sidecar.close();
    await localIssuer.close();
  };

  const sidecarPolicy = (): Record<string, unknown> => policy('sidecar', SIDECAR, { issuers: [{ issuer: auth.issuer }], upstream: clientCredentials(`http://127.0.0.1:${String(sidecar.port)}/quitquitquit`) });
  const localhostPolicy = (): Record<string, unknown> => policy('localhost', LOCAL, { issuers: [{ issuer: `https://localhost:${String(localIssuer.port)}` }] });

  describe('without --allow-insecure-endpoints', function () {
    let world: World;
    beforeEach(startCounters);
    afterEach(async function () {
      await world.close();
      await stopCounters();
    });

    it('attack: a token endpoint at the sidecar admin port (http://127.0.0.1:15000/quitquitquit) must be Accepted=False and never contacted', async function () {
      world = await startWorld(false, [sidecarPolicy()]);
      await eventually(() => conditionsOf(world.api, 'sidecar').Accepted?.status === 'False');
      const accepted = conditionsOf(world.api, 'sidecar').Accepted;
      assert.equal(accepted?.reason, 'InsecureEndpoint');
      assert.match(accepted.message, /\/spec\/upstream\/clientCredentials\/tokenEndpoint: must use https/);
      const token = recordToken(await auth.issueToken({ resource: SIDECAR }));
      const response = await world.client.check({ authority: 'sidecar.example.com', headers: { authorization: `Bearer ${token}` } });
      assert.notEqual(response.status?.code ?? 0, 0, 'denied');
      assert.equal(sidecar.connections(), 0, 'the sidecar is never contacted');
    });

    it('attack: an issuer at https://localhost:PORT passes admission but must be refused at connection time, without naming the address', async function () {
      world = await startWorld(false, [localhostPolicy()]);
      await eventually(() => conditionsOf(world.api, 'localhost').Ready?.reason === 'KeysUnavailable');
      const conditions = conditionsOf(world.api, 'localhost');
      assert.equal(conditions.Accepted?.status, 'True');
      assert.match(conditions.Ready?.message ?? '', /refused: address not allowed/);
      for (const condition of Object.values(conditions)) assert.doesNotMatch(condition.message, LOOPBACK_ADDRESS);
      assert.equal(localIssuer.connections(), 0, 'nothing listening on loopback is contacted');
    });

    it('attack: issuers at 169.254.169.254, 0.0.0.0, [::1] and [::] must be Accepted=False (InsecureEndpoint)', async function () {
      // ([::ffff:127.0.0.1] is refused earlier, by the object rules: an embedded IPv4 form is not a policy URI.)
      const port = String(localIssuer.port);
      world = await startWorld(false, [policy('literals', LOCAL, { issuers: ['https://169.254.169.254', `https://[::1]:${port}`, `https://0.0.0.0:${port}`, `https://[::]:${port}`].map((issuer) => ({ issuer })) })]);
      await eventually(() => conditionsOf(world.api, 'literals').Accepted?.status === 'False');
      const accepted = conditionsOf(world.api, 'literals').Accepted;
      assert.equal(accepted?.reason, 'InsecureEndpoint');
      for (const index of [0, 1, 2, 3]) assert.match(accepted.message, new RegExp(`/spec/issuers/${String(index)}/issuer: must not be a loopback, link-local or unspecified address`));
      assert.equal(localIssuer.connections(), 0);
    });
  });

  describe('with --allow-insecure-endpoints (development)', function () {
    let world: World;
    before(async function () {
      await startCounters();
      world = await startWorld(true, [
        sidecarPolicy(), localhostPolicy(),
        policy('weather', WEATHER, { issuers: [{ issuer: auth.issuer }], upstream: clientCredentials(auth.tokenEndpoint) }),
      ]);
    });
    after(async function () {
      await world.close();
      await stopCounters();
    });

    it('accepts loopback http endpoints and gets upstream tokens from them', async function () {
      await eventually(() => conditionsOf(world.api, 'weather').Ready?.status === 'True');
      const token = recordToken(await auth.issueToken({ resource: WEATHER }));
      const response = await world.client.check({ authority: 'weather.example.com', headers: { authorization: `Bearer ${token}` } });
      assert.equal(response.status?.code ?? 0, 0);
      assert.match(headerValue(response.ok_response?.headers, 'x-upstream-authorization') ?? '', /^Bearer ./);
      recordToken((headerValue(response.ok_response?.headers, 'x-upstream-authorization') ?? '').slice('Bearer '.length));
    });

    it('contacts the endpoints the guard keeps tenants from (so the tests above can fail)', async function () {
      assert.equal(conditionsOf(world.api, 'sidecar').Accepted?.status, 'True');
      const token = recordToken(await auth.issueToken({ resource: SIDECAR }));
      const response = await world.client.check({ authority: 'sidecar.example.com', headers: { authorization: `Bearer ${token}` } });
      assert.equal(httpStatus(response), 503);
      assert.ok(sidecar.connections() > 0, 'the sidecar port was contacted');
    });

    it('attack: an unreachable issuer must be told without the addresses its name resolved to', async function () {
      await eventually(() => conditionsOf(world.api, 'localhost').Ready?.reason === 'KeysUnavailable');
      const ready = conditionsOf(world.api, 'localhost').Ready;
      assert.match(ready?.message ?? '', /unreachable/);
      assert.doesNotMatch(ready?.message ?? '', LOOPBACK_ADDRESS);
    });
  });
});
