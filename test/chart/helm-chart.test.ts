// charts/audience-guard with the real Helm binary: it must lint strictly and render for
// the default values and every documented example, match the golden renders, and every
// rendered manifest must validate against the upstream schemas. The CRD ships in crds/
// and must validate as a CustomResourceDefinition.
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  CHART_DIR,
  chartCases,
  findManifest,
  goldenPath,
  lintChart,
  parseManifests,
  renderChart,
  renderedChart,
  tryRenderChart,
} from '../support/chart-render.ts';
import { validateManifest, type Manifest } from '../support/manifest-schemas.ts';

const CRD_FILE = join(CHART_DIR, 'crds', 'audiencepolicies.audienceguard.dev.yaml');

describe('Helm chart charts/audience-guard', function () {
  this.timeout(60_000);

  it('must have examples besides the default values', () => {
    assert.ok(chartCases().length >= 4, 'default plus at least three documented examples');
  });

  for (const chartCase of chartCases()) {
    describe(`values: ${chartCase.name}`, () => {
      it('must pass helm lint --strict', () => {
        assert.match(lintChart(chartCase), /1 chart\(s\) linted, 0 chart\(s\) failed/);
      });

      it('must render exactly the golden file (npm run golden:update rewrites it)', () => {
        const path = goldenPath(chartCase);
        assert.ok(existsSync(path), `${path} is missing: run npm run golden:update`);
        assert.equal(renderedChart(chartCase), readFileSync(path, 'utf8'), `${chartCase.name} renders differently from its golden file: review the change, then npm run golden:update`);
      });

      it('must render only manifests that validate against their upstream schemas', () => {
        const manifests = parseManifests(renderedChart(chartCase));
        assert.ok(manifests.length > 0);
        for (const manifest of manifests) validateManifest(manifest);
      });

      it('must render each object once, with the release labels', () => {
        const manifests = parseManifests(renderedChart(chartCase));
        const ids = manifests.map((manifest) => `${manifest.kind}/${manifest.metadata.namespace ?? ''}/${manifest.metadata.name}`);
        assert.equal(new Set(ids).size, ids.length, `duplicates in ${ids.join(', ')}`);
        for (const manifest of manifests) {
          const labels = (manifest.metadata.labels ?? {}) as Record<string, string>;
          assert.equal(labels['app.kubernetes.io/instance'], 'audience-guard', `${manifest.kind}/${manifest.metadata.name} must carry the release label`);
        }
      });
    });
  }

  it('must reject unknown values and unsafe ones through values.schema.json', () => {
    const defaults = chartCases()[0]!;
    for (const bad of ['replicas=3', 'securityContext.runAsUser=0', 'policySource=both', 'config.checkTimeoutMs=0', 'image.digest=latest']) {
      const result = tryRenderChart(defaults, ['--set', bad]);
      assert.notEqual(result.status, 0, `--set ${bad} must be refused`);
      assert.match(result.stderr, /schema/, `--set ${bad} must be refused by the values schema`);
    }
  });

  it('must refuse namespace-scoped RBAC without watched namespaces', () => {
    const result = tryRenderChart(chartCases()[0]!, ['--set', 'rbac.clusterWide=false']);
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /set config\.watchNamespaces/);
  });

  it('must render the mounted ConfigMap of filePolicies.existingConfigMap instead of its own', () => {
    const manifests = parseManifests(renderChart(chartCases()[0]!, ['--set', 'policySource=file', '--set', 'filePolicies.existingConfigMap=my-policies']));
    assert.equal(findManifest(manifests, 'ConfigMap'), undefined);
    const deployment = findManifest(manifests, 'Deployment')!;
    const volumes = (deployment.spec as { template: { spec: { volumes: { configMap: { name: string } }[] } } }).template.spec.volumes;
    assert.deepEqual(volumes.map((volume) => volume.configMap.name), ['my-policies']);
  });

  it('must validate the CRD in crds/ as a CustomResourceDefinition and ship it with the chart', () => {
    const crd = parse(readFileSync(CRD_FILE, 'utf8')) as Manifest;
    assert.equal(crd.kind, 'CustomResourceDefinition');
    validateManifest(crd);
    const withCRDs = parseManifests(renderChart(chartCases()[0]!, ['--include-crds']));
    assert.deepEqual(findManifest(withCRDs, 'CustomResourceDefinition', 'audiencepolicies.audienceguard.dev'), crd);
  });

  it('must fail validation for a manifest with a misspelt field', () => {
    const deployment = structuredClone(findManifest(parseManifests(renderedChart(chartCases()[0]!)), 'Deployment')!) as Manifest & { spec: { template: { spec: { containers: Record<string, unknown>[] } } } };
    const container = deployment.spec.template.spec.containers[0]!;
    container.securityContext = { ...(container.securityContext as object), readOnlyRootFilesytem: true };
    assert.throws(() => {
      validateManifest(deployment);
    }, /readOnlyRootFilesytem/);
  });
});
