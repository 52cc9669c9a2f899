// The chart's NODE_OPTIONS default: V8's old-space limit and semi-space follow the container's
// memory limit (5/8 and 1/128 of it), so the heap is collected before the kernel kills the pod
// (bench/README.md, memory).
import { strict as assert } from 'node:assert';
import { chartCases, findManifest, parseManifests, renderChart } from '../support/chart-render.ts';

interface Container { readonly env?: readonly { readonly name: string; readonly value?: string }[] }

function nodeOptions(extra: readonly string[]): string | undefined {
  const [defaults] = chartCases();
  if (defaults === undefined) throw new Error('no chart case');
  const deployment = findManifest(parseManifests(renderChart(defaults, extra)), 'Deployment') as unknown as
    { spec: { template: { spec: { containers: readonly Container[] } } } } | undefined;
  const env = deployment?.spec.template.spec.containers[0]?.env ?? [];
  return env.find((variable) => variable.name === 'NODE_OPTIONS')?.value;
}

describe('Helm chart: NODE_OPTIONS from the memory limit', function () {
  this.timeout(60_000);

  it('sets --max-old-space-size=160 --max-semi-space-size=2 for the default 256Mi limit', () => {
    assert.equal(nodeOptions([]), '--max-old-space-size=160 --max-semi-space-size=2');
  });

  it('follows the limit in any unit: 1Gi, 300M, bytes', () => {
    assert.equal(nodeOptions(['--set', 'resources.limits.memory=1Gi']), '--max-old-space-size=640 --max-semi-space-size=8');
    assert.equal(nodeOptions(['--set', 'resources.limits.memory=300M']), '--max-old-space-size=178 --max-semi-space-size=2');
    assert.equal(nodeOptions(['--set-string', 'resources.limits.memory=268435456']), '--max-old-space-size=160 --max-semi-space-size=2');
    assert.equal(nodeOptions(['--set', 'resources.limits.memory=128Mi']), '--max-old-space-size=80 --max-semi-space-size=1');
    assert.equal(nodeOptions(['--set', 'resources.limits.memory=4Gi']), '--max-old-space-size=2560 --max-semi-space-size=16');
  });

  it('sets nothing without a memory limit, or when nodeOptions is empty; an explicit value is used as is', () => {
    assert.equal(nodeOptions(['--set', 'resources.limits.memory=null']), undefined);
    assert.equal(nodeOptions(['--set', 'nodeOptions=']), undefined);
    assert.equal(nodeOptions(['--set', 'nodeOptions=--max-old-space-size=100 --max-semi-space-size=2']), '--max-old-space-size=100 --max-semi-space-size=2');
  });
});
