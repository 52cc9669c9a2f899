// Prometheus metrics (docs/contract.md §3.2): the documented names and label sets,
// label values only from configuration or closed sets (result, reason, enforced
// "true"/"false", state), the policies gauge set per state.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { REASONS } from '../../../src/core/reasons.ts';
import type { CheckResult } from '../../../src/obs/metric-label-sets.ts';
import { Metrics } from '../../../src/obs/metrics.ts';

interface Sample {
  readonly labels: Record<string, string | number | undefined>;
  readonly value: number;
  readonly metricName?: string;
}

async function samples(metrics: Metrics, name: string): Promise<Sample[]> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((entry) => entry.name === name);
  assert.ok(metric !== undefined, `metric ${name} is registered`);
  return metric.values;
}

function labelNames(list: readonly Sample[]): string[][] {
  return list.map((sample) => Object.keys(sample.labels).filter((key) => key !== 'le').sort());
}

describe('Metrics', () => {
  it('registers the documented metrics on its own registry', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const names = (await metrics.registry.getMetricsAsJSON()).map((metric) => metric.name);
    for (const name of ['audience_guard_checks_total', 'audience_guard_rejections_total', 'audience_guard_check_duration_seconds', 'audience_guard_jwks_refreshes_total', 'audience_guard_policies']) {
      assert.ok(names.includes(name), name);
    }
    const other = new Metrics({ defaultMetrics: false });
    metrics.rejection('a', 'b', 'expired', true);
    assert.deepEqual(await samples(other, 'audience_guard_rejections_total'), [], 'each instance has its own registry');
  });

  it('adds process metrics under the audience_guard_ prefix only when asked', async () => {
    const withDefaults = (await new Metrics().registry.getMetricsAsJSON()).map((metric) => metric.name);
    assert.ok(withDefaults.some((name) => name.startsWith('audience_guard_process_')));
    for (const name of withDefaults) assert.match(name, /^audience_guard_/);
    const without = (await new Metrics({ defaultMetrics: false }).registry.getMetricsAsJSON()).map((metric) => metric.name);
    assert.ok(!without.some((name) => name.startsWith('audience_guard_process_')));
  });

  describe('rejections', () => {
    it('labels enforced rejections enforced="true" and Permissive ones enforced="false"', async () => {
      const metrics = new Metrics({ defaultMetrics: false });
      metrics.rejection('mcp', 'weather', 'audience_mismatch', true);
      metrics.rejection('mcp', 'weather', 'audience_mismatch', false);
      metrics.rejection('mcp', 'weather', 'audience_mismatch', false);
      const values = await samples(metrics, 'audience_guard_rejections_total');
      assert.deepEqual(
        values.map((sample) => [sample.labels, sample.value]),
        [
          [{ namespace: 'mcp', policy: 'weather', reason: 'audience_mismatch', enforced: 'true', frontend: 'grpc' }, 1],
          [{ namespace: 'mcp', policy: 'weather', reason: 'audience_mismatch', enforced: 'false', frontend: 'grpc' }, 2],
        ],
      );
    });

    it('uses exactly the labels namespace, policy, reason, enforced, frontend, with enforced in {"true","false"} (property)', async () => {
      await fc.assert(fc.asyncProperty(fc.constantFrom(...REASONS), fc.boolean(), async (reason, enforced) => {
        const metrics = new Metrics({ defaultMetrics: false });
        metrics.rejection('ns', 'name', reason, enforced);
        const [sample, ...rest] = await samples(metrics, 'audience_guard_rejections_total');
        assert.deepEqual(rest, []);
        assert.deepEqual(sample?.labels, { namespace: 'ns', policy: 'name', reason, enforced: enforced ? 'true' : 'false', frontend: 'grpc' });
      }), { numRuns: 60 });
    });
  });

  describe('checks', () => {
    it('counts checks by namespace, policy, result and front end, and times them by result only', async () => {
      const metrics = new Metrics({ defaultMetrics: false });
      const results: CheckResult[] = ['allowed', 'denied', 'denied', 'error'];
      for (const result of results) metrics.check('mcp', 'weather', result, 0.002);
      const counts = await samples(metrics, 'audience_guard_checks_total');
      assert.deepEqual(labelNames(counts), [['frontend', 'namespace', 'policy', 'result'], ['frontend', 'namespace', 'policy', 'result'], ['frontend', 'namespace', 'policy', 'result']]);
      assert.deepEqual(counts.map((sample) => [sample.labels.result, sample.value]), [['allowed', 1], ['denied', 2], ['error', 1]]);
      const durations = (await samples(metrics, 'audience_guard_check_duration_seconds')).filter((sample) => sample.metricName === 'audience_guard_check_duration_seconds_count');
      assert.deepEqual(labelNames(durations), [['result'], ['result'], ['result']]);
      assert.deepEqual(durations.map((sample) => [sample.labels.result, sample.value]), [['allowed', 1], ['denied', 2], ['error', 1]]);
    });

    it('tracks checks in flight', async () => {
      const metrics = new Metrics({ defaultMetrics: false });
      metrics.checkStarted();
      metrics.checkStarted();
      metrics.checkFinished();
      assert.equal((await samples(metrics, 'audience_guard_checks_in_flight'))[0]?.value, 1);
    });
  });

  describe('JWKS refreshes', () => {
    it('counts refreshes by issuer with result success or failure', async () => {
      const metrics = new Metrics({ defaultMetrics: false });
      metrics.jwksRefresh('https://idp.example.com', true);
      metrics.jwksRefresh('https://idp.example.com', false);
      metrics.jwksRefresh('https://idp.example.com', false);
      const values = await samples(metrics, 'audience_guard_jwks_refreshes_total');
      assert.deepEqual(values.map((sample) => [sample.labels, sample.value]), [
        [{ issuer: 'https://idp.example.com', result: 'success' }, 1],
        [{ issuer: 'https://idp.example.com', result: 'failure' }, 2],
      ]);
    });
  });

  describe('policies gauge', () => {
    function byState(list: readonly Sample[]): Record<string, number> {
      return Object.fromEntries(list.map((sample) => [String(sample.labels.state), sample.value]));
    }

    it('starts every state at 0', async () => {
      const metrics = new Metrics({ defaultMetrics: false });
      assert.deepEqual(byState(await samples(metrics, 'audience_guard_policies')), { accepted: 0, rejected: 0, conflicted: 0, stale: 0, unavailable: 0 });
    });

    it('sets each state to the latest count (a gauge, not a counter)', async () => {
      const metrics = new Metrics({ defaultMetrics: false });
      metrics.policies({ accepted: 3, rejected: 1, conflicted: 2, stale: 1, unavailable: 2 });
      assert.deepEqual(byState(await samples(metrics, 'audience_guard_policies')), { accepted: 3, rejected: 1, conflicted: 2, stale: 1, unavailable: 2 });
      metrics.policies({ accepted: 2, rejected: 0, conflicted: 0, stale: 0, unavailable: 0 });
      assert.deepEqual(byState(await samples(metrics, 'audience_guard_policies')), { accepted: 2, rejected: 0, conflicted: 0, stale: 0, unavailable: 0 });
    });
  });
});
