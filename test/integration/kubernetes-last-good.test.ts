/**
 * A refused AudiencePolicy update never opens the object's paths to another
 * policy (README "Kubernetes", "Last good version"). End to end on loopback:
 * the real service with policies from KubernetesAPIDouble through the real
 * client library, tokens from a real oidc-provider, checks over gRPC with
 * Envoy's protos, and the status the service writes.
 *
 * The set-up every attack aims at: a lax policy `site` on `/` of
 * mcp.example.com accepts any token for https://mcp.example.com/mcp; a strict
 * policy `admin` on `/admin` accepts only tokens for
 * https://mcp.example.com/admin with scope mcp:admin. A lax token at /admin is
 * the attacker's request: it must never be allowed.
 */
import { strict as assert } from 'node:assert';
import { createLogger } from '../../src/obs/logger.ts';
import type { NamespaceHostRule } from '../../src/policy/namespace-hosts.ts';
import { startService, type RunningService } from '../../src/server/audience-guard-service.ts';
import type { PolicyStatus } from '../../src/kubernetes/policy-status.ts';
import { startAuthorizationServer, type LocalAuthorizationServer } from '../support/authorization-server.ts';
import { EnvoyCheckClient, httpStatus, type EnvoyCheckResponse } from '../support/envoy-check-client.ts';
import { KubernetesAPIDouble } from '../support/kubernetes-api-double.ts';
import { capturingDestination, recordToken } from '../support/secret-ledger.ts';
import { eventually, MCP_RESOURCE, TEST_SERVICE_SETTINGS } from '../support/service-harness.ts';

const ADMIN_RESOURCE = 'https://mcp.example.com/admin';
const WEB_RESOURCE = 'https://web.example.com/mcp';

type Spec = Record<string, unknown>;

function object(name: string, spec: Spec, namespace = 'mcp'): Record<string, unknown> {
  return { apiVersion: 'audienceguard.dev/v1alpha1', kind: 'AudiencePolicy', metadata: { name, namespace }, spec };
}

describe('Kubernetes mode: a refused update keeps the last accepted version, or holds the claims closed', function () {
  let auth: LocalAuthorizationServer;
  let api: KubernetesAPIDouble;
  const running: { service: RunningService; client: EnvoyCheckClient }[] = [];
  let laxToken: string;
  let adminToken: string;
  let replicas = 0;

  const site = (): Spec => ({ resource: MCP_RESOURCE, pathPrefixes: ['/'], issuers: [{ issuer: auth.issuer }] });
  const admin = (extra: Spec = {}): Spec => ({ resource: ADMIN_RESOURCE, requiredScopes: ['mcp:admin'], issuers: [{ issuer: auth.issuer }], ...extra });

  async function serve(namespaceHosts: readonly NamespaceHostRule[] = []): Promise<{ service: RunningService; client: EnvoyCheckClient }> {
    const service = await startService({
      policyFiles: [],
      kubernetes: {
        // A restarted replica is a new holder: it takes the status Lease once the old one lapses (1 s).
        config: api.kubeConfig(), namespaces: [], renewIntervalMs: 200, statusRetryMs: 100, leaseDurationSeconds: 1,
        lease: { namespace: 'audience-guard', name: 'audience-guard-status', identity: `replica-${String(++replicas)}` },
        // The local authorization server is plain http on loopback.
        tenantRules: { secretFileDirs: [], allowInsecureEndpoints: true, namespaceHosts },
      },
      ...TEST_SERVICE_SETTINGS,
    }, createLogger('info', capturingDestination(() => undefined)));
    await service.kubernetes?.synced;
    const entry = { service, client: new EnvoyCheckClient(service.grpcPort) };
    running.push(entry);
    return entry;
  }

  async function stop(entry: { service: RunningService; client: EnvoyCheckClient }): Promise<void> {
    running.splice(running.indexOf(entry), 1);
    entry.client.close();
    await entry.service.stop(1_000);
  }

  const check = (client: EnvoyCheckClient, path: string, token?: string, authority = 'mcp.example.com', method = 'POST'): Promise<EnvoyCheckResponse> =>
    client.check({ authority, path, method, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
  const allowed = (response: EnvoyCheckResponse): boolean => (response.status?.code ?? 0) === 0;
  const reason = (response: EnvoyCheckResponse): string | undefined => response.status?.message;
  const statusOf = (name: string, namespace = 'mcp'): PolicyStatus | undefined => api.get(namespace, name)?.status as PolicyStatus | undefined;
  const condition = (name: string, type: string): { status: string; reason: string; message: string } | undefined =>
    statusOf(name)?.conditions.find((entry) => entry.type === type);
  const policiesGauge = async (service: RunningService, state: string): Promise<number> =>
    Number(new RegExp(`audience_guard_policies\\{state="${state}"\\} (\\d+)`).exec(await service.metrics.registry.getSingleMetricAsString('audience_guard_policies'))?.[1]);

  /** The lax token at /admin is refused by the strict policy itself (401 audience_mismatch), the right token allowed. */
  async function assertStrictAdminDecides(client: EnvoyCheckClient): Promise<void> {
    const lax = await check(client, '/admin/users', laxToken);
    assert.equal(allowed(lax), false, 'a token for the lax policy must not pass /admin');
    assert.equal(reason(lax), 'audience_mismatch');
    assert.equal(httpStatus(lax), 401);
    assert.equal(allowed(await check(client, '/admin/users', adminToken)), true, 'the right token still passes');
  }

  /** The object's paths answer 503 policy_unavailable, whatever the token, metadata included. */
  async function assertClosed(client: EnvoyCheckClient, path = '/admin/users'): Promise<void> {
    for (const token of [laxToken, adminToken, undefined]) {
      const response = await check(client, path, token);
      assert.equal(allowed(response), false);
      assert.equal(reason(response), 'policy_unavailable');
      assert.equal(httpStatus(response), 503);
    }
    const metadata = await check(client, '/.well-known/oauth-protected-resource/admin', undefined, 'mcp.example.com', 'GET');
    assert.equal(reason(metadata), 'policy_unavailable', 'its RFC 9728 document is not answered either');
  }

  before(async function () {
    auth = await startAuthorizationServer({ resources: [
      { resource: MCP_RESOURCE, scopes: ['mcp:tools'] },
      { resource: ADMIN_RESOURCE, scopes: ['mcp:admin'] },
      { resource: WEB_RESOURCE, scopes: ['mcp:tools'] },
    ] });
    laxToken = recordToken(await auth.issueToken({ resource: MCP_RESOURCE }));
    adminToken = recordToken(await auth.issueToken({ resource: ADMIN_RESOURCE, scope: 'mcp:admin' }));
  });
  after(async function () {
    await auth.close();
  });
  beforeEach(async function () {
    api = new KubernetesAPIDouble();
    await api.start();
  });
  afterEach(async function () {
    for (const entry of [...running]) await stop(entry);
    await api.close();
  });

  const INVALID_EDITS: readonly { readonly shape: string; readonly edit: () => Spec }[] = [
    { shape: 'an algorithm the service refuses (HS256)', edit: () => admin({ issuers: [{ issuer: auth.issuer, algorithms: ['HS256'] }] }) },
    { shape: 'a plain-http issuer on a public host', edit: () => admin({ issuers: [{ issuer: 'http://idp.example.com' }] }) },
    { shape: 'an unknown field', edit: () => admin({ pathPrefix: '/admin' }) },
    { shape: 'a relative path prefix that no longer claims /admin', edit: () => admin({ pathPrefixes: ['admin'] }) },
    { shape: 'no issuers at all', edit: () => admin({ issuers: [] }) },
  ];

  for (const { shape, edit } of INVALID_EDITS) {
    it(`attack: an invalid edit of a strict /admin policy must not hand /admin to the lax / policy (${shape})`, async function () {
      api.apply(object('site', site()));
      api.apply(object('admin', admin()));
      const { service, client } = await serve();
      await assertStrictAdminDecides(client);

      api.apply(object('admin', edit()));
      await eventually(() => statusOf('admin')?.observedGeneration === 2 && condition('admin', 'Accepted')?.status === 'False');
      await assertStrictAdminDecides(client);
      assert.equal(statusOf('admin')?.servingGeneration, 1, 'the last accepted generation serves');
      assert.equal(condition('admin', 'Ready')?.status, 'False');
      assert.equal(condition('admin', 'Ready')?.reason, 'ServingPreviousGeneration');
      assert.match(condition('admin', 'Accepted')?.message ?? '', /Generation 2 is not in force; generation 1, the last accepted, keeps deciding requests/);
      assert.equal(await policiesGauge(service, 'stale'), 1);
      assert.equal(await policiesGauge(service, 'accepted'), 1);
    });
  }

  it('attack: a new invalid policy must deny its paths 503 policy_unavailable, not hand them to the lax / policy', async function () {
    api.apply(object('site', site()));
    const { service, client } = await serve();
    assert.equal(allowed(await check(client, '/admin/users', laxToken)), true, 'before: / decides /admin');

    api.apply(object('admin', admin({ issuers: [{ issuer: auth.issuer, algorithms: ['HS256'] }] })));
    await eventually(() => condition('admin', 'Ready')?.reason === 'PolicyUnavailable');
    await assertClosed(client);
    assert.equal(allowed(await check(client, '/mcp', laxToken)), true, 'the lax policy keeps its own paths');
    const document = await fetch(`http://127.0.0.1:${String(service.adminPort)}/.well-known/oauth-protected-resource/mcp.example.com/admin`);
    assert.equal(document.status, 503, 'nor does the admin server answer its metadata');
    assert.equal(statusOf('admin')?.servingGeneration, undefined);
    assert.match(condition('admin', 'Accepted')?.message ?? '', /denied 503 policy_unavailable.*\/spec\/issuers\/0\/algorithms/);
    assert.equal(await policiesGauge(service, 'unavailable'), 1);
  });

  it('attack: after a restart, an invalid object must deny its paths 503 (the last accepted version is not remembered across restarts)', async function () {
    api.apply(object('site', site()));
    api.apply(object('admin', admin()));
    const first = await serve();
    api.apply(object('admin', admin({ issuers: [{ issuer: 'http://idp.example.com' }] })));
    await eventually(() => statusOf('admin')?.servingGeneration === 1 && statusOf('admin')?.observedGeneration === 2);
    await stop(first);

    const { client } = await serve();
    await assertClosed(client);
    await eventually(() => condition('admin', 'Ready')?.reason === 'PolicyUnavailable', 10_000);
    assert.equal(statusOf('admin')?.servingGeneration, undefined, 'the restarted service clears what it cannot vouch for');
    assert.equal(statusOf('admin')?.observedGeneration, 2);
  });

  it('forgets a deleted object: its claim goes, and a re-created invalid object starts with nothing accepted', async function () {
    api.apply(object('site', site()));
    api.apply(object('admin', admin()));
    const { client } = await serve();
    api.apply(object('admin', admin({ mode: 'Lax' })));
    await eventually(() => statusOf('admin')?.servingGeneration === 1 && statusOf('admin')?.observedGeneration === 2);

    api.delete('mcp', 'admin');
    await eventually(async () => allowed(await check(client, '/admin/users', laxToken)), 5_000);
    assert.equal(api.get('mcp', 'admin'), undefined);

    // Valid again, then refused; then deleted and re-created in one burst
    // (`kubectl replace --force`): the new object (a new uid) inherits nothing.
    api.apply(object('admin', admin()));
    await eventually(() => condition('admin', 'Ready')?.status === 'True');
    api.apply(object('admin', admin({ mode: 'Lax' })));
    await eventually(() => statusOf('admin')?.servingGeneration === 1 && statusOf('admin')?.observedGeneration === 2);
    api.delete('mcp', 'admin');
    api.apply(object('admin', admin({ mode: 'Lax' })));
    await eventually(async () => reason(await check(client, '/admin/users', adminToken)) === 'policy_unavailable');
    await assertClosed(client);
  });

  it('serves a later valid edit again, after a last accepted version and after a placeholder', async function () {
    api.apply(object('site', site()));
    api.apply(object('admin', admin({ mode: 'Lax' })));
    const { service, client } = await serve();
    await assertClosed(client);

    api.apply(object('admin', admin()));
    await eventually(() => condition('admin', 'Ready')?.status === 'True');
    await assertStrictAdminDecides(client);
    api.apply(object('admin', admin({ mode: 'Lax' })));
    await eventually(() => statusOf('admin')?.observedGeneration === 3 && statusOf('admin')?.servingGeneration === 2);
    api.apply(object('admin', admin({ requiredScopes: ['mcp:admin', 'mcp:audit'] })));
    await eventually(() => statusOf('admin')?.servingGeneration === 4 && condition('admin', 'Accepted')?.status === 'True');
    assert.equal(statusOf('admin')?.observedGeneration, 4);
    assert.equal(reason(await check(client, '/admin/users', adminToken)), 'insufficient_scope', 'generation 4 decides');
    assert.equal(await policiesGauge(service, 'stale'), 0);
    assert.equal(await policiesGauge(service, 'unavailable'), 0);
  });

  it('attack: a refused policy must not hold hosts its namespace may not claim (operator host rule)', async function () {
    const rules = [{ namespace: 'mcp', patterns: ['mcp.example.com'] }, { namespace: 'web', patterns: ['web.example.com'] }];
    api.apply(object('site', { resource: WEB_RESOURCE, pathPrefixes: ['/'], issuers: [{ issuer: auth.issuer }] }, 'web'));
    const { client } = await serve(rules);
    const webToken = recordToken(await auth.issueToken({ resource: WEB_RESOURCE }));
    api.apply(object('squatter', admin({ hosts: ['web.example.com'], pathPrefixes: ['/admin'], mode: 'Lax' })));
    await eventually(() => condition('squatter', 'Accepted')?.status === 'False');
    assert.match(condition('squatter', 'Accepted')?.message ?? '', /holds no claim/);
    assert.equal(condition('squatter', 'Ready')?.reason, 'NotAccepted');
    assert.equal(allowed(await check(client, '/admin/users', webToken, 'web.example.com')), true, 'web.example.com stays with its own namespace');
  });
});
