/**
 * Cross-namespace host takeover, end to end in Kubernetes mode: policies from
 * KubernetesAPIDouble through the real client library, checks over gRPC with
 * Envoy's protos, tokens from a real oidc-provider. A team is trusted for its
 * own namespace's hosts only: another namespace's policy must neither take
 * requests (longer prefix, exact host, created later) nor the RFC 9728
 * document, and statuses must not name the other namespace's objects.
 */
import { strict as assert } from 'node:assert';
import { createLogger } from '../../src/obs/logger.ts';
import { parseNamespaceHosts, type NamespaceHostRule } from '../../src/policy/namespace-hosts.ts';
import { startService, type RunningService } from '../../src/server/audience-guard-service.ts';
import type { PolicyStatus } from '../../src/kubernetes/policy-status.ts';
import { startAuthorizationServer, type LocalAuthorizationServer } from '../support/authorization-server.ts';
import { EnvoyCheckClient, httpStatus } from '../support/envoy-check-client.ts';
import { KubernetesAPIDouble } from '../support/kubernetes-api-double.ts';
import { capturingDestination, recordToken } from '../support/secret-ledger.ts';
import { DEFAULT_RESOURCES, eventually, MCP_RESOURCE, TEST_LEASE, TEST_SERVICE_SETTINGS } from '../support/service-harness.ts';

const INTRUDER_ISSUER = 'http://127.0.0.1:1/intruder'; // loopback, refuses connections

function policy(namespace: string, name: string, issuer: string, spec: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: 'audienceguard.dev/v1alpha1', kind: 'AudiencePolicy', metadata: { name, namespace }, spec: { resource: MCP_RESOURCE, issuers: [{ issuer }], ...spec } };
}

interface Running { api: KubernetesAPIDouble; service: RunningService; client: EnvoyCheckClient; logs: Record<string, unknown>[] }

async function start(namespaceHosts: readonly NamespaceHostRule[]): Promise<Running> {
  const api = new KubernetesAPIDouble();
  await api.start();
  const logs: Record<string, unknown>[] = [];
  const service = await startService({
    policyFiles: [],
    kubernetes: {
      config: api.kubeConfig(), namespaces: [], lease: TEST_LEASE, renewIntervalMs: 200, statusRetryMs: 100,
      tenantRules: { secretFileDirs: [], allowInsecureEndpoints: true, namespaceHosts },
    },
    ...TEST_SERVICE_SETTINGS,
  }, createLogger('info', capturingDestination((line) => logs.push(JSON.parse(line) as Record<string, unknown>))));
  await service.kubernetes?.synced;
  return { api, service, client: new EnvoyCheckClient(service.grpcPort), logs };
}

async function stop(running: Running): Promise<void> {
  running.client.close();
  await running.service.stop(1_000);
  await running.api.close();
}

function conditionsOf(api: KubernetesAPIDouble, namespace: string, name: string): Record<string, { status: string; reason: string; message: string }> {
  const status = api.get(namespace, name)?.status as PolicyStatus | undefined;
  return Object.fromEntries((status?.conditions ?? []).map((condition) => [condition.type, condition]));
}

describe('host ownership across namespaces in Kubernetes mode', function () {
  let auth: LocalAuthorizationServer;
  let token: string;
  before(async function () {
    auth = await startAuthorizationServer({ resources: DEFAULT_RESOURCES });
    token = recordToken(await auth.issueToken({ resource: MCP_RESOURCE }));
  });
  after(async function () {
    await auth.close();
  });

  describe('without --namespace-hosts: the oldest claim owns the host', function () {
    let running: Running;
    before(async function () {
      running = await start([]);
      running.api.apply(policy('team-a', 'weather', auth.issuer, { hosts: ['mcp.example.com'], pathPrefixes: ['/mcp'] }));
      running.api.apply(policy('team-b', 'longer-prefix', INTRUDER_ISSUER, { hosts: ['mcp.example.com'], pathPrefixes: ['/mcp/admin'], audiences: ['api://intruder'] }));
      running.api.apply(policy('team-b', 'wildcard', INTRUDER_ISSUER, { resource: 'https://any.example.com/', hosts: ['*.example.com'], pathPrefixes: ['/'] }));
      await eventually(() => running.service.store.current().policies.length === 3);
    });
    after(async function () {
      await stop(running);
    });

    it('warns at start that several namespaces are watched without a host rule', function () {
      assert.equal(running.logs.filter((line) => line.event === 'host_ownership_unset' && line.namespaces === 'all').length, 1);
    });

    it('attack: a longer path prefix from another namespace must not take the owner\'s requests', async function () {
      const response = await running.client.check({ path: '/mcp/admin/tools', headers: { authorization: `Bearer ${token}` } });
      assert.equal(response.status?.code ?? 0, 0, 'decided by team-a/weather, which accepts the token');
    });

    it('attack: another namespace\'s wildcard must not serve the owner\'s host outside its prefixes', async function () {
      const response = await running.client.check({ path: '/other', headers: { authorization: `Bearer ${token}` } });
      assert.equal(httpStatus(response), 403);
      assert.equal(response.status?.message, 'no_policy');
    });

    it('attack: the RFC 9728 document of the owner\'s host must not advertise the intruder\'s authorization server', async function () {
      const response = await running.client.check({ method: 'GET', path: '/.well-known/oauth-protected-resource/mcp' });
      const document = JSON.parse(response.denied_response?.body ?? '{}') as { authorization_servers?: string[] };
      assert.deepEqual(document.authorization_servers, [auth.issuer]);
    });

    it('marks the intruders Conflicted without naming the other namespace\'s policy', async function () {
      await eventually(() => conditionsOf(running.api, 'team-b', 'longer-prefix').Conflicted?.status === 'True'
        && conditionsOf(running.api, 'team-b', 'wildcard').Conflicted?.status === 'True');
      for (const name of ['longer-prefix', 'wildcard']) {
        const conditions = conditionsOf(running.api, 'team-b', name);
        assert.equal(conditions.Conflicted?.reason, 'HostOwnedByOtherNamespace');
        assert.match(conditions.Conflicted.message, /host mcp\.example\.com belongs to another namespace/);
        assert.doesNotMatch(JSON.stringify(running.api.get('team-b', name)?.status), /team-a|weather/);
      }
      await eventually(() => conditionsOf(running.api, 'team-a', 'weather').AudienceOverlap?.status === 'True');
      assert.equal(conditionsOf(running.api, 'team-a', 'weather').Conflicted?.status, 'False');
      assert.doesNotMatch(JSON.stringify(running.api.get('team-a', 'weather')?.status), /team-b|longer-prefix|wildcard/);
      assert.match(conditionsOf(running.api, 'team-a', 'weather').AudienceOverlap?.message ?? '', /a policy in another namespace also accepts/);
    });

    it('logs the full ids for the operator', function () {
      assert.ok(running.logs.some((line) => line.event === 'policy_conflicted' && line.policy === 'team-b/longer-prefix' && line.winner === 'team-a/weather'));
    });
  });

  describe('with --namespace-hosts', function () {
    let running: Running;
    before(async function () {
      const rules = parseNamespaceHosts(['team-a=mcp.example.com']);
      assert.ok(rules.ok);
      running = await start(rules.rules);
      // The intruder is older than the owner here: with a rule, age does not matter.
      running.api.apply(policy('team-b', 'first', INTRUDER_ISSUER, { hosts: ['mcp.example.com'], pathPrefixes: ['/mcp'] }));
      running.api.apply(policy('team-a', 'weather', auth.issuer));
      await eventually(() => running.service.store.current().byId('team-a/weather') !== undefined);
    });
    after(async function () {
      await stop(running);
    });

    it('does not warn: the operator said which namespace owns which host', function () {
      assert.equal(running.logs.filter((line) => line.event === 'host_ownership_unset').length, 0);
    });

    it('attack: a policy claiming a host outside its namespace\'s patterns must be Accepted=False HostNotAllowed and serve nothing', async function () {
      await eventually(() => conditionsOf(running.api, 'team-b', 'first').Accepted?.status === 'False');
      const accepted = conditionsOf(running.api, 'team-b', 'first').Accepted;
      assert.equal(accepted?.reason, 'HostNotAllowed');
      assert.match(accepted.message, /\/spec\/hosts\/0: host mcp\.example\.com is not allowed: the operator assigned no hosts to namespace "team-b"/);
      assert.doesNotMatch(accepted.message, /team-a/);
      assert.equal(running.service.store.current().byId('team-b/first'), undefined);
      const response = await running.client.check({ path: '/mcp', headers: { authorization: `Bearer ${token}` } });
      assert.equal(response.status?.code ?? 0, 0, 'decided by team-a/weather');
    });
  });
});
