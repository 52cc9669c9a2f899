// Everything under deploy/ that users apply: every Kubernetes manifest must validate
// against its upstream schema (AudiencePolicies against the service's own validator),
// every proxy wiring must fail closed, and the folders must be complete (kustomization,
// READMEs, cross-namespace references granted).
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { SERVE_FLAGS } from '../../src/cli/serve-flags.ts';
import { findManifest, parseManifests } from '../support/chart-render.ts';
import { REPO_ROOT } from '../support/helm.ts';
import { clientTrafficPolicyProblems, securityPolicyProblems, validateManifest, type Manifest } from '../support/manifest-schemas.ts';
import { assertGRPCHealthProbes, assertRestrictedPod } from '../support/pod-assertions.ts';

const DEPLOY = join(REPO_ROOT, 'deploy');

/** Files that are not Kubernetes manifests, and the test that covers each. */
const NOT_MANIFESTS: Readonly<Record<string, string>> = {
  'envoy/envoy.yaml': 'an Envoy bootstrap: test/deploy/envoy-bootstrap.test.ts',
  'istio/istiod-values.yaml': 'istiod Helm values: compared with istio-operator.yaml below',
  'kubernetes/kustomization.yaml': 'a kustomization: its resources are checked below',
};

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(entry) ? [relative(DEPLOY, path)] : [];
  });
}

const FILES = yamlFiles(DEPLOY).sort();
const manifestsOf = (file: string): Manifest[] => parseManifests(readFileSync(join(DEPLOY, file), 'utf8'));
const folder = (name: string): Manifest[] => FILES.filter((file) => file.startsWith(`${name}/`) && NOT_MANIFESTS[file] === undefined).flatMap(manifestsOf);
const checkTimeoutMs = Number(SERVE_FLAGS['check-timeout'].default);

/** "0.2s", "200ms", "1s" → milliseconds. */
function milliseconds(duration: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(duration);
  assert.ok(match, `unsupported duration ${duration}`);
  return Number(match[1]) * (match[2] === 's' ? 1000 : 1);
}

describe('deploy/ manifests', () => {
  it('must cover the kubernetes, istio, envoy and envoy-gateway folders, each with a README', () => {
    for (const name of ['kubernetes', 'istio', 'envoy', 'envoy-gateway', 'examples']) {
      assert.ok(FILES.some((file) => file.startsWith(`${name}/`)), `deploy/${name}/ has no YAML`);
      if (name !== 'examples') assert.match(readFileSync(join(DEPLOY, name, 'README.md'), 'utf8'), /## (Steps|Install without Helm)/, `deploy/${name}/README.md must give the steps`);
    }
  });

  for (const file of FILES.filter((candidate) => NOT_MANIFESTS[candidate] === undefined)) {
    it(`must validate every manifest of deploy/${file} against its upstream schema`, () => {
      const manifests = manifestsOf(file);
      assert.ok(manifests.length > 0);
      for (const manifest of manifests) validateManifest(manifest);
    });
  }

  describe('kubernetes/', () => {
    it('must apply every manifest of the folder through kustomization.yaml', () => {
      const kustomization = parse(readFileSync(join(DEPLOY, 'kubernetes', 'kustomization.yaml'), 'utf8')) as { apiVersion: string; kind: string; resources: string[] };
      assert.equal(kustomization.kind, 'Kustomization');
      const manifests = FILES.filter((file) => file.startsWith('kubernetes/') && NOT_MANIFESTS[file] === undefined).map((file) => file.slice('kubernetes/'.length));
      assert.deepEqual([...kustomization.resources].sort(), manifests.sort());
    });

    it('must run the restricted pod with gRPC health probes, like the chart', () => {
      const deployment = findManifest(folder('kubernetes'), 'Deployment')!;
      assertRestrictedPod(deployment);
      assertGRPCHealthProbes(deployment);
      const namespace = findManifest(folder('kubernetes'), 'Namespace')!;
      assert.equal((namespace.metadata.labels as Record<string, string>)['pod-security.kubernetes.io/enforce'], 'restricted');
    });

    it('must grant no wildcard and only the verbs the service uses', () => {
      for (const role of folder('kubernetes').filter((manifest) => manifest.kind === 'Role' || manifest.kind === 'ClusterRole')) {
        for (const rule of role.rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[]) {
          assert.ok(![...rule.apiGroups, ...rule.resources, ...rule.verbs].includes('*'));
          assert.ok(rule.verbs.every((verb) => ['get', 'list', 'watch', 'patch', 'create', 'update'].includes(verb)));
        }
      }
    });
  });

  describe('istio/', () => {
    const operator = (): Manifest => findManifest(folder('istio'), 'IstioOperator')!;
    const providers = (): { name: string; envoyExtAuthzGrpc: Record<string, unknown> }[] =>
      ((operator().spec as { meshConfig: { extensionProviders: { name: string; envoyExtAuthzGrpc: Record<string, unknown> }[] } }).meshConfig.extensionProviders);

    it('must register a gRPC ext_authz provider that fails closed, with a timeout above --check-timeout', () => {
      const [provider] = providers();
      assert.ok(provider);
      const grpc = provider.envoyExtAuthzGrpc;
      assert.deepEqual(Object.keys(grpc).filter((key) => !['service', 'port', 'timeout', 'failOpen', 'statusOnError', 'clearRouteCache', 'includeRequestBodyInCheck'].includes(key)), [], 'only EnvoyExternalAuthorizationGrpcProvider fields');
      assert.equal(grpc.failOpen, false);
      assert.equal(grpc.service, 'audience-guard.audience-guard.svc.cluster.local');
      assert.equal(grpc.port, 9001);
      assert.ok(milliseconds(String(grpc.timeout)) > checkTimeoutMs);
    });

    it('must include the body in the check for per-tool scopes, partial allowed, as bytes, within --max-body-bytes', () => {
      const body = providers()[0]!.envoyExtAuthzGrpc.includeRequestBodyInCheck as Record<string, unknown>;
      assert.deepEqual(Object.keys(body).sort(), ['allowPartialMessage', 'maxRequestBytes', 'packAsBytes'], 'only Istio\'s IncludeRequestBodyInCheck fields');
      assert.equal(body.allowPartialMessage, true);
      assert.equal(body.packAsBytes, true);
      assert.ok(Number(body.maxRequestBytes) <= Number(SERVE_FLAGS['max-body-bytes'].default));
      assert.ok(Number(body.maxRequestBytes) < Number(SERVE_FLAGS['max-request-bytes'].default));
    });

    it('must normalise paths before the check, decoding escaped slashes and merging slashes', () => {
      const meshConfig = (operator().spec as { meshConfig: { pathNormalization?: { normalization?: string } } }).meshConfig;
      assert.equal(meshConfig.pathNormalization?.normalization, 'DECODE_AND_MERGE_SLASHES');
    });

    it('must give the istiod Helm values the same provider as the IstioOperator', () => {
      const values = parse(readFileSync(join(DEPLOY, 'istio', 'istiod-values.yaml'), 'utf8')) as { meshConfig: unknown };
      assert.deepEqual(values.meshConfig, (operator().spec as { meshConfig: unknown }).meshConfig);
    });

    it('must check the MCP workload with action CUSTOM and the registered provider', () => {
      const policy = findManifest(folder('istio'), 'AuthorizationPolicy')!;
      const spec = policy.spec as { action: string; provider: { name: string }; selector: { matchLabels: Record<string, string> }; rules: unknown[] };
      assert.equal(spec.action, 'CUSTOM');
      assert.equal(spec.provider.name, providers()[0]!.name);
      const workload = findManifest(folder('istio'), 'Deployment', 'weather-mcp')!;
      assert.deepEqual(spec.selector.matchLabels, (workload.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels);
      assert.equal(policy.metadata.namespace, workload.metadata.namespace);
      assert.ok(spec.rules.length > 0, 'CUSTOM without rules checks nothing');
    });
  });

  describe('envoy-gateway/', () => {
    const policy = (): Manifest => findManifest(folder('envoy-gateway'), 'SecurityPolicy')!;
    const extAuth = (): { failOpen: boolean; timeout: string; grpc: { backendRefs: { name: string; namespace?: string; port: number }[] } } => (policy().spec as { extAuth: never }).extAuth;

    it('must attach gRPC ext_authz to the HTTPRoute, failing closed, with a timeout above --check-timeout', () => {
      const targets = (policy().spec as { targetRefs: { kind: string; name: string }[] }).targetRefs;
      const route = findManifest(folder('envoy-gateway'), 'HTTPRoute', targets[0]!.name);
      assert.equal(targets[0]!.kind, 'HTTPRoute');
      assert.ok(route, 'the targeted HTTPRoute ships in the folder');
      assert.equal(route.metadata.namespace, policy().metadata.namespace);
      assert.equal(extAuth().failOpen, false);
      assert.ok(milliseconds(extAuth().timeout) > checkTimeoutMs);
      assert.deepEqual(extAuth().grpc.backendRefs, [{ name: 'audience-guard', namespace: 'audience-guard', port: 9001 }]);
    });

    it('must send the body to the check for per-tool scopes, within --max-body-bytes', () => {
      const body = (extAuth() as { bodyToExtAuth?: { maxRequestBytes?: number } }).bodyToExtAuth;
      assert.ok(body?.maxRequestBytes !== undefined && body.maxRequestBytes > 0);
      assert.ok(body.maxRequestBytes <= Number(SERVE_FLAGS['max-body-bytes'].default));
      assert.deepEqual(securityPolicyProblems({ ...policy(), spec: { ...(policy().spec as object), extAuth: { ...extAuth(), bodyToExtAuth: { maxRequestByte: 1 } } } }), ['spec.extAuth.bodyToExtAuth.maxRequestByte is not a field']);
    });

    it('must grant the cross-namespace backend reference with a ReferenceGrant', () => {
      const [backend] = extAuth().grpc.backendRefs;
      const grant = findManifest(folder('envoy-gateway'), 'ReferenceGrant')!;
      const spec = grant.spec as { from: { group: string; kind: string; namespace: string }[]; to: { group: string; kind: string; name?: string }[] };
      assert.equal(grant.metadata.namespace, backend!.namespace);
      assert.deepEqual(spec.from, [{ group: 'gateway.envoyproxy.io', kind: 'SecurityPolicy', namespace: policy().metadata.namespace }]);
      assert.deepEqual(spec.to, [{ group: '', kind: 'Service', name: backend!.name }]);
    });

    it('must normalise paths on the Gateway: slashes merged, escaped slashes refused or redirected', () => {
      const traffic = findManifest(folder('envoy-gateway'), 'ClientTrafficPolicy')!;
      const spec = traffic.spec as { targetRefs: { kind: string; name: string }[]; path: { escapedSlashesAction: string; disableMergeSlashes: boolean } };
      const gateway = findManifest(folder('envoy-gateway'), 'Gateway', spec.targetRefs[0]!.name);
      assert.equal(spec.targetRefs[0]!.kind, 'Gateway');
      assert.ok(gateway, 'the targeted Gateway ships in the folder');
      assert.equal(traffic.metadata.namespace, gateway.metadata.namespace);
      assert.ok(['RejectRequest', 'UnescapeAndRedirect'].includes(spec.path.escapedSlashesAction));
      assert.equal(spec.path.disableMergeSlashes, false);
    });

    it('must refuse a ClientTrafficPolicy with a misspelt path field', () => {
      const broken = structuredClone(findManifest(folder('envoy-gateway'), 'ClientTrafficPolicy')!) as Manifest & { spec: { path: Record<string, unknown> } };
      broken.spec.path.escapedSlashAction = 'RejectRequest';
      assert.deepEqual(clientTrafficPolicyProblems(broken), ['spec.path.escapedSlashAction is not a field']);
    });

    it('must refuse a SecurityPolicy with a misspelt field', () => {
      const broken = structuredClone(policy()) as Manifest & { spec: { extAuth: Record<string, unknown> } };
      broken.spec.extAuth.failopen = false;
      assert.deepEqual(securityPolicyProblems(broken), ['spec.extAuth.failopen is not a field']);
    });
  });

  it('must fail closed in every proxy example', () => {
    const texts = FILES.map((file) => readFileSync(join(DEPLOY, file), 'utf8')).join('\n');
    assert.doesNotMatch(texts, /failure_mode_allow:\s*true|failOpen:\s*true/);
    const failClosed = [...texts.matchAll(/(failure_mode_allow|failOpen):\s*false/g)].length;
    assert.equal(failClosed, 4, 'envoy.yaml, istio-operator.yaml, istiod-values.yaml and securitypolicy.yaml each set it explicitly');
  });

  it('must protect the same resource in every AudiencePolicy the proxy folders ship', () => {
    const resources = ['istio', 'envoy-gateway'].map((name) => (findManifest(folder(name), 'AudiencePolicy', 'weather')!.spec as { resource: string }).resource);
    assert.deepEqual(new Set(resources), new Set(['https://weather.example.com/mcp']));
  });
});
