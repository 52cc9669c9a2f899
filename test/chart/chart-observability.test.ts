// The chart's monitoring must query what the service really exports: every metric named
// in the PrometheusRule and the Grafana dashboard must exist in src/obs/metrics.ts, with
// the label values the service uses; the ServiceMonitor must scrape the Service's port.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REASONS } from '../../src/core/reasons.ts';
import { Metrics } from '../../src/obs/metrics.ts';
import { CHART_DIR, findManifest, parseManifests, renderedChart } from '../support/chart-render.ts';

const PRODUCTION = { name: 'production', valuesFile: join('charts', 'audience-guard', 'examples', 'production.yaml') };

/** Every series name the service can export: metric names plus histogram suffixes. */
async function exportedSeries(): Promise<Set<string>> {
  const metrics = await new Metrics({ defaultMetrics: false }).registry.getMetricsAsJSON();
  const names = metrics.flatMap((metric) => (String(metric.type) === 'histogram' ? ['_bucket', '_sum', '_count'].map((suffix) => metric.name + suffix) : [metric.name]));
  return new Set(names);
}

/** audience_guard_* identifiers used in a PromQL expression. */
function seriesIn(expr: string): string[] {
  return [...expr.matchAll(/\baudience_guard_[a-z0-9_]+/g)].map((match) => match[0]);
}

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: string };
  annotations: { summary: string; description: string };
}

function alertRules(): Rule[] {
  const rule = findManifest(parseManifests(renderedChart(PRODUCTION)), 'PrometheusRule');
  assert.ok(rule, 'the production example must enable the PrometheusRule');
  return (rule.spec as { groups: { rules: Rule[] }[] }).groups.flatMap((group) => group.rules);
}

interface Panel {
  title: string;
  type: string;
  targets: { expr: string }[];
}
const DASHBOARD = JSON.parse(readFileSync(join(CHART_DIR, 'files', 'grafana-dashboard.json'), 'utf8')) as { uid: string; title: string; panels: Panel[] };

describe('Helm chart monitoring', function () {
  this.timeout(30_000);

  it('must alert on rejection spikes by reason, JWKS refresh failures and no ready policies', () => {
    const rules = new Map(alertRules().map((rule) => [rule.alert, rule]));
    assert.match(rules.get('AudienceGuardRejectionSpike')?.expr ?? '', /sum by \(namespace, policy, reason\) \(rate\(audience_guard_rejections_total\{[^}]*enforced="true"/);
    assert.match(rules.get('AudienceGuardJWKSRefreshFailing')?.expr ?? '', /audience_guard_jwks_refreshes_total\{[^}]*result="failure"/);
    assert.match(rules.get('AudienceGuardNoReadyPolicies')?.expr ?? '', /audience_guard_policies\{[^}]*state="accepted"\}\) == 0/);
  });

  it('must query only metrics the service exports, with label values it uses', async () => {
    const series = await exportedSeries();
    for (const rule of alertRules()) {
      const used = seriesIn(rule.expr);
      for (const name of used) assert.ok(series.has(name), `${rule.alert} queries ${name}, which src/obs/metrics.ts does not export`);
      for (const reason of rule.expr.matchAll(/reason="([a-z_]+)"/g)) assert.ok((REASONS as readonly string[]).includes(reason[1]!), `${rule.alert}: unknown reason ${reason[1]!}`);
      for (const result of rule.expr.matchAll(/result="([a-z]+)"/g)) assert.ok(['allowed', 'denied', 'error', 'success', 'failure'].includes(result[1]!));
      for (const state of rule.expr.matchAll(/state="([a-z]+)"/g)) assert.ok(['accepted', 'rejected', 'conflicted'].includes(state[1]!));
    }
  });

  it('must give every alert a severity, a summary and a description, and select the release job', () => {
    for (const rule of alertRules()) {
      assert.ok(['info', 'warning', 'critical'].includes(rule.labels.severity), rule.alert);
      assert.ok(rule.annotations.summary.length > 0 && rule.annotations.description.length > 0, rule.alert);
      assert.match(rule.expr, /job="audience-guard"/, `${rule.alert} must select the release's series`);
    }
  });

  it('must scrape the Service\'s http-metrics port and keep the policy namespace label', () => {
    const manifests = parseManifests(renderedChart(PRODUCTION));
    const monitor = findManifest(manifests, 'ServiceMonitor')!;
    const endpoints = (monitor.spec as { endpoints: { port: string; path: string; honorLabels: boolean }[] }).endpoints;
    const service = findManifest(manifests, 'Service')!;
    const portNames = (service.spec as { ports: { name: string }[] }).ports.map((port) => port.name);
    assert.deepEqual(endpoints.map((endpoint) => [endpoint.port, endpoint.path, endpoint.honorLabels]), [['http-metrics', '/metrics', true]]);
    assert.ok(portNames.includes('http-metrics'));
  });

  it('must ship the Grafana dashboard in a ConfigMap labelled grafana_dashboard', () => {
    const config = findManifest(parseManifests(renderedChart(PRODUCTION)), 'ConfigMap', 'audience-guard-dashboard')!;
    assert.equal((config.metadata.labels as Record<string, string>).grafana_dashboard, '1');
    const data = config.data as Record<string, string>;
    assert.deepEqual(JSON.parse(data['audience-guard.json']!), DASHBOARD);
  });

  it('must chart rejections by reason and policy, check latency quantiles and JWKS health', () => {
    const exprs = DASHBOARD.panels.flatMap((panel) => panel.targets.map((target) => target.expr));
    assert.ok(exprs.some((expr) => /sum by \(reason\) \(rate\(audience_guard_rejections_total/.test(expr)));
    assert.ok(exprs.some((expr) => /sum by \(namespace, policy\) \(rate\(audience_guard_rejections_total/.test(expr)));
    for (const quantile of ['0.5', '0.9', '0.99']) {
      assert.ok(exprs.some((expr) => expr.startsWith(`histogram_quantile(${quantile}, sum by (le) (rate(audience_guard_check_duration_seconds_bucket`)), `p${quantile}`);
    }
    assert.ok(exprs.some((expr) => /audience_guard_jwks_refreshes_total\{[^}]*result="failure"/.test(expr)));
  });

  it('must use only exported metrics in the dashboard, and unique panel ids', async () => {
    const series = await exportedSeries();
    for (const panel of DASHBOARD.panels) {
      assert.ok(panel.targets.length > 0, panel.title);
      for (const target of panel.targets) for (const name of seriesIn(target.expr)) assert.ok(series.has(name), `panel "${panel.title}" queries ${name}`);
    }
    const ids = DASHBOARD.panels.map((panel) => (panel as unknown as { id: number }).id);
    assert.equal(new Set(ids).size, ids.length);
  });
});
