/**
 * Client secret files in Kubernetes mode, end to end: the real service with
 * policies from KubernetesAPIDouble (real client library), a real oidc-provider
 * token endpoint, checks over gRPC with Envoy's protos. Policy authors are
 * trusted for their own namespace only, so a policy may name a secret file only
 * below DIR/<its namespace>/ of `--secret-file-dir DIR`; anything else is
 * `Accepted=False` (SecretFileNotAllowed), never read and never sent to the
 * token endpoint the author chose. Every file outside holds a secret that the
 * token endpoint would accept, so a read would show as a token request.
 */
import { strict as assert } from 'node:assert';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { createLogger } from '../../src/obs/logger.ts';
import { startService, type RunningService } from '../../src/server/audience-guard-service.ts';
import type { PolicyStatus } from '../../src/kubernetes/policy-status.ts';
import { startAuthorizationServer, type LocalAuthorizationServer } from '../support/authorization-server.ts';
import { EnvoyCheckClient, headerValue, httpStatus } from '../support/envoy-check-client.ts';
import { assertNeverRead } from '../support/file-reads.ts';
import { KubernetesAPIDouble } from '../support/kubernetes-api-double.ts';
import { capturingDestination, recordToken } from '../support/secret-ledger.ts';
import { eventually, TEST_LEASE, TEST_SERVICE_SETTINGS } from '../support/service-harness.ts';

const UPSTREAM = 'https://api.weather.example.com';
const SERVICE = { clientId: 'weather-mcp', clientSecret: recordToken('weather-mcp-secret-in-a-file') };
const resourceOf = (name: string): string => `https://${name}.example.com/mcp`;

describe('client secret files of Kubernetes policies (end to end)', function () {
  let auth: LocalAuthorizationServer;
  let api: KubernetesAPIDouble;
  let service: RunningService;
  let client: EnvoyCheckClient;
  let root: string;
  let dir: string;
  let serviceAccountToken: string;
  const logs: string[] = [];

  before(async function () {
    auth = await startAuthorizationServer({ resources: ['allowed', 'swapped'].map((name) => ({ resource: resourceOf(name), scopes: ['mcp:tools'] })).concat({ resource: UPSTREAM, scopes: ['forecast:read'] }), clients: [SERVICE] });
    root = await mkdtemp(join(tmpdir(), 'audience-guard-k8s-secret-files-'));
    dir = join(root, 'secrets');
    await mkdir(join(dir, 'mcp'), { recursive: true });
    await mkdir(join(dir, 'tools'));
    await mkdir(join(root, 'serviceaccount'));
    serviceAccountToken = join(root, 'serviceaccount', 'token'); // stands in for /var/run/secrets/kubernetes.io/serviceaccount/token
    for (const path of [serviceAccountToken, join(dir, 'tools', 'client-secret'), join(dir, 'mcp', 'client-secret')]) await writeFile(path, SERVICE.clientSecret);
    await symlink(serviceAccountToken, join(dir, 'mcp', 'escape'));
    await symlink(join(dir, 'mcp', 'client-secret'), join(dir, 'mcp', 'swap'));
    api = new KubernetesAPIDouble();
    await api.start();
    service = await startService({
      policyFiles: [],
      kubernetes: {
        config: api.kubeConfig(), namespaces: [], lease: TEST_LEASE, renewIntervalMs: 200, statusRetryMs: 100,
        tenantRules: { secretFileDirs: [dir], allowInsecureEndpoints: true, namespaceHosts: [] },
      },
      ...TEST_SERVICE_SETTINGS,
    }, createLogger('info', capturingDestination((line) => logs.push(line))));
    client = new EnvoyCheckClient(service.grpcPort);
    await service.kubernetes?.synced;
  });
  after(async function () {
    client.close();
    await service.stop(1_000);
    await api.close();
    await auth.close();
    await rm(root, { recursive: true, force: true });
  });

  const apply = (name: string, clientSecretFile: string): void => {
    api.apply({
      apiVersion: 'audienceguard.dev/v1alpha1', kind: 'AudiencePolicy', metadata: { name, namespace: 'mcp' },
      spec: { resource: resourceOf(name), issuers: [{ issuer: auth.issuer }], upstream: { clientCredentials: { tokenEndpoint: auth.tokenEndpoint, resource: UPSTREAM, clientId: SERVICE.clientId, clientSecretFile } } },
    });
  };
  const accepted = (name: string) => (api.get('mcp', name)?.status as PolicyStatus | undefined)?.conditions.find((condition) => condition.type === 'Accepted');
  const clientToken = async (name: string): Promise<string> => recordToken(await auth.issueToken({ resource: resourceOf(name) }));
  const check = async (name: string, token?: string) => client.check({ authority: `${name}.example.com`, headers: { authorization: `Bearer ${token ?? await clientToken(name)}` } });

  /** Applies the policy and expects it refused, its file never read and never sent anywhere. */
  async function expectRefused(name: string, clientSecretFile: string, outside: string): Promise<void> {
    const requests = auth.clientCredentialsCount();
    await assertNeverRead([outside], async () => {
      apply(name, clientSecretFile);
      await eventually(() => accepted(name)?.status === 'False');
    });
    const condition = accepted(name);
    assert.equal(condition?.reason, 'SecretFileNotAllowed');
    assert.ok(condition.message.includes(clientSecretFile), 'names the policy\'s own path');
    // Refused: at most a closed placeholder (503 policy_unavailable) holds its routes.
    assert.equal(service.store.current().byId(`mcp/${name}`)?.unavailable ?? true, true, 'not in force');
    assert.equal(auth.clientCredentialsCount(), requests, 'nothing was sent to the token endpoint');
    assert.equal(JSON.stringify(api.get('mcp', name)?.status).includes(SERVICE.clientSecret), false);
  }

  it('gives the upstream a token with a secret file below DIR/<namespace>/', async function () {
    apply('allowed', join(dir, 'mcp', 'client-secret'));
    await eventually(() => accepted('allowed')?.status === 'True');
    const response = await check('allowed');
    assert.equal(response.status?.code ?? 0, 0);
    assert.equal(decodeJwt(recordToken((headerValue(response.ok_response?.headers, 'authorization') ?? '').replace(/^Bearer /, ''))).aud, UPSTREAM);
  });

  it('attack: a tenant naming the service-account token as clientSecretFile must be refused and the file never read', async function () {
    await expectRefused('sa-token', serviceAccountToken, serviceAccountToken);
    apply('sa-token-path', '/var/run/secrets/kubernetes.io/serviceaccount/token');
    await eventually(() => accepted('sa-token-path')?.reason === 'SecretFileNotAllowed');
  });

  it('attack: a tenant naming another namespace\'s folder must be refused and the file never read', async function () {
    await expectRefused('other-team', join(dir, 'tools', 'client-secret'), join(dir, 'tools', 'client-secret'));
  });

  it('attack: a `..` escape out of DIR/<namespace>/ must be refused and the file never read', async function () {
    await expectRefused('dot-dot', `${dir}/mcp/../tools/client-secret`, join(dir, 'tools', 'client-secret'));
  });

  it('attack: a symlink below DIR/<namespace>/ leading outside must be refused and its target never read', async function () {
    await expectRefused('symlink', join(dir, 'mcp', 'escape'), serviceAccountToken);
  });

  it('attack: a symlink swapped to the service-account token after admission must deny 503 upstream_token_unavailable, its target never read', async function () {
    apply('swapped', join(dir, 'mcp', 'swap'));
    await eventually(() => accepted('swapped')?.status === 'True');
    await symlink(serviceAccountToken, join(dir, 'mcp', 'swap.next'));
    await rename(join(dir, 'mcp', 'swap.next'), join(dir, 'mcp', 'swap'));
    const token = await clientToken('swapped'); // the test client's own token request, before counting
    const requests = auth.clientCredentialsCount();
    await assertNeverRead([serviceAccountToken], async () => {
      const response = await check('swapped', token);
      assert.equal(httpStatus(response), 503);
      assert.equal(response.dynamic_metadata?.fields?.reason?.stringValue, 'upstream_token_unavailable');
    });
    assert.equal(auth.clientCredentialsCount(), requests, 'nothing was sent to the token endpoint');
    assert.ok(logs.some((line) => line.includes('upstream_token_failed') && line.includes('not read')));
  });
});
