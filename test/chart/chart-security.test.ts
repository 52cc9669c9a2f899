// What matters to security in every render of the chart: the restricted Pod Security
// settings, gRPC health probes, RBAC exactly as deploy/kubernetes/rbac.yaml (nothing
// more, no wildcard, none at all in file mode), and environment that `serve` accepts.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { environmentName, parseServeFlags, SERVE_FLAGS } from '../../src/cli/serve-flags.ts';
import { chartCases, findManifest, parseManifests, renderChart, renderedChart, RELEASE_NAMESPACE, tryRenderChart } from '../support/chart-render.ts';
import { REPO_ROOT } from '../support/helm.ts';
import type { Manifest } from '../support/manifest-schemas.ts';
import { assertGRPCHealthProbes, assertRestrictedPod, podSpec } from '../support/pod-assertions.ts';
import { allows, grantsOf } from '../support/rbac.ts';

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };

function rbacRules(manifests: readonly Manifest[], kind: 'ClusterRole' | 'Role', name: string): Rule[] {
  const role = findManifest(manifests, kind, name);
  assert.ok(role, `a ${kind} ${name}`);
  return role.rules as Rule[];
}

/** Where the service account may `get` Secrets: 'everywhere', or the namespaces. */
function secretReach(manifests: readonly Manifest[]): 'everywhere' | string[] {
  const grants = grantsOf(manifests);
  const get = (namespace: string | undefined): boolean => allows(grants, { group: '', resource: 'secrets', verb: 'get', namespace, name: 'any' });
  if (get(undefined)) return 'everywhere';
  return [...new Set(grants.flatMap((grant) => (grant.namespace !== undefined && get(grant.namespace) ? [grant.namespace] : [])))].sort();
}

const PLAIN_RBAC = parseManifests(readFileSync(join(REPO_ROOT, 'deploy', 'kubernetes', 'rbac.yaml'), 'utf8'));

function envOf(deployment: Manifest): Record<string, string> {
  return Object.fromEntries((podSpec(deployment).containers[0]!.env ?? []).flatMap((variable) => (variable.value === undefined ? [] : [[variable.name, variable.value]])));
}

describe('Helm chart security', function () {
  this.timeout(30_000);

  for (const chartCase of chartCases()) {
    describe(`values: ${chartCase.name}`, () => {
      const manifests = (): Manifest[] => parseManifests(renderedChart(chartCase));
      const deployment = (): Manifest => findManifest(manifests(), 'Deployment')!;
      const kubernetesMode = (): boolean => envOf(deployment()).AUDIENCE_GUARD_POLICY_FILE === undefined;

      it('must run the pod under the restricted Pod Security profile', () => {
        assertRestrictedPod(deployment());
      });

      it('must probe startup, liveness and readiness on the gRPC health service ""', () => {
        assertGRPCHealthProbes(deployment());
      });

      it('must expose the gRPC port as `grpc` with appProtocol grpc, the admin port as http-metrics, and the forward-auth port only when enabled', () => {
        const service = findManifest(manifests(), 'Service')!;
        const ports = (service.spec as { ports: { name: string; appProtocol?: string; targetPort: string }[] }).ports;
        const httpAuthz = envOf(deployment()).AUDIENCE_GUARD_HTTP_AUTHZ_ADDRESS === undefined ? [] : [['http-authz', 'http', 'http-authz']];
        assert.deepEqual(ports.map((port) => [port.name, port.appProtocol, port.targetPort]), [['grpc', 'grpc', 'grpc'], ['http-metrics', 'http', 'http-admin'], ...httpAuthz]);
      });

      it('must pass environment that `serve` accepts, with the lease in the release namespace', () => {
        const env = envOf(deployment());
        const parsed = parseServeFlags([], env);
        assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
        if (kubernetesMode()) assert.equal(parsed.flags.leaseNamespace, RELEASE_NAMESPACE);
        else assert.deepEqual(parsed.flags.policyFiles, ['/etc/audience-guard/policies']);
      });

      it('must grant exactly the RBAC of deploy/kubernetes/rbac.yaml in Kubernetes mode, and none in file mode', () => {
        const all = manifests();
        const rbacKinds = ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'];
        if (!kubernetesMode()) {
          assert.deepEqual(all.filter((manifest) => rbacKinds.includes(manifest.kind)), [], 'file mode needs no Kubernetes API access');
          assert.equal(podSpec(deployment()).automountServiceAccountToken, false, 'file mode must not mount a service account token');
          return;
        }
        assert.equal(podSpec(deployment()).automountServiceAccountToken, true);
        assert.deepEqual(rbacRules(all, 'ClusterRole', 'audience-guard'), rbacRules(PLAIN_RBAC, 'ClusterRole', 'audience-guard'));
        assert.deepEqual(rbacRules(all, 'Role', 'audience-guard-leader-election'), rbacRules(PLAIN_RBAC, 'Role', 'audience-guard-leader-election'));
        const leaseRole = findManifest(all, 'Role', 'audience-guard-leader-election')!;
        assert.equal(leaseRole.metadata.namespace, RELEASE_NAMESPACE, 'the Lease Role lives where --lease-namespace points');
        for (const secretsRole of all.filter((manifest) => manifest.kind === 'Role' && manifest.metadata.name === 'audience-guard-secrets')) {
          assert.deepEqual(secretsRole.rules, rbacRules(PLAIN_RBAC, 'Role', 'audience-guard-secrets'), 'the Secret Role of each listed namespace is the one of deploy/kubernetes/rbac.yaml');
        }
        for (const manifest of all.filter((candidate) => candidate.kind === 'Role' || candidate.kind === 'ClusterRole')) {
          for (const rule of manifest.rules as Rule[]) {
            for (const field of [rule.apiGroups, rule.resources, rule.verbs, rule.resourceNames ?? []]) assert.ok(!field.includes('*'), `${manifest.kind} must not use a wildcard`);
            for (const verb of rule.verbs) assert.ok(['get', 'list', 'watch', 'patch', 'create', 'update'].includes(verb), `unexpected verb ${verb}`);
          }
        }
        const bindings = all.filter((manifest) => manifest.kind === 'ClusterRoleBinding' || manifest.kind === 'RoleBinding');
        for (const binding of bindings) {
          assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'audience-guard', namespace: RELEASE_NAMESPACE }]);
        }
      });
    });
  }

  it('must let every `serve` flag be set through the chart (in one of the examples at least)', () => {
    const set = new Set(chartCases().flatMap((chartCase) => Object.keys(envOf(findManifest(parseManifests(renderedChart(chartCase)), 'Deployment')!))));
    const missing = Object.keys(SERVE_FLAGS).map(environmentName).filter((name) => !set.has(name));
    assert.deepEqual(missing, [], 'wire new flags into charts/audience-guard (values.yaml, deployment.yaml, README.md)');
  });

  it('attack: a policy author in any namespace must not get the service to read Secrets of namespaces the operator did not list', () => {
    const defaults = chartCases()[0]!;
    assert.deepEqual(secretReach(parseManifests(renderChart(defaults))), [], 'by default no Secret is readable anywhere');
    const listed = parseManifests(renderChart(defaults, ['--set', 'rbac.secretNamespaces={mcp,tools}']));
    assert.deepEqual(secretReach(listed), ['mcp', 'tools']);
    assert.deepEqual(secretReach(PLAIN_RBAC), ['mcp'], 'deploy/kubernetes/rbac.yaml: the examples\' namespace only');
    assert.deepEqual(secretReach(parseManifests(renderedChart({ name: 'kubernetes-policies', valuesFile: join('charts', 'audience-guard', 'examples', 'kubernetes-policies.yaml') }))), ['mcp']);
  });

  it('must grant Secret get cluster-wide only with the explicit rbac.clusterWideSecrets, and never together with a namespace list', () => {
    const defaults = chartCases()[0]!;
    assert.equal(secretReach(parseManifests(renderChart(defaults, ['--set', 'rbac.clusterWideSecrets=true']))), 'everywhere');
    const both = tryRenderChart(defaults, ['--set', 'rbac.clusterWideSecrets=true', '--set', 'rbac.secretNamespaces={mcp}']);
    assert.notEqual(both.status, 0);
    assert.match(both.stderr, /rbac\.secretNamespaces or rbac\.clusterWideSecrets, not both/);
    assert.notEqual(tryRenderChart(defaults, ['--set', 'rbac.secretNamespaces={Not_A_Namespace}']).status, 0, 'values.schema.json refuses a bad namespace name');
  });

  it('must bind the ClusterRole only in the watched namespaces when rbac.clusterWide is false', () => {
    const manifests = parseManifests(renderedChart({ name: 'kubernetes-policies', valuesFile: join('charts', 'audience-guard', 'examples', 'kubernetes-policies.yaml') }));
    assert.equal(findManifest(manifests, 'ClusterRoleBinding'), undefined);
    const bindings = manifests.filter((manifest) => manifest.kind === 'RoleBinding' && (manifest.roleRef as { kind: string }).kind === 'ClusterRole');
    assert.deepEqual(bindings.map((binding) => binding.metadata.namespace), ['mcp']);
    assert.equal(envOf(findManifest(manifests, 'Deployment')!).AUDIENCE_GUARD_WATCH_NAMESPACE, 'mcp');
  });
});
