/**
 * Renders charts/audience-guard with the real Helm binary for the default values and for
 * each documented example (charts/audience-guard/examples/*.yaml), and reads the rendered
 * YAML stream back as manifests. The golden files in test/golden/helm/ hold these renders;
 * `npm run golden:update` rewrites them.
 */
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT, runHelm } from './helm.ts';
import type { Manifest } from './manifest-schemas.ts';

export const CHART_DIR = join(REPO_ROOT, 'charts', 'audience-guard');
export const GOLDEN_DIR = join(REPO_ROOT, 'test', 'golden', 'helm');
export const RELEASE_NAME = 'audience-guard';
export const RELEASE_NAMESPACE = 'audience-guard';

export interface ChartCase {
  /** `default`, or the example file's name without `.yaml`. */
  readonly name: string;
  /** Values file relative to the repository root; none for the defaults. */
  readonly valuesFile?: string;
}

export function chartCases(): ChartCase[] {
  const examples = readdirSync(join(CHART_DIR, 'examples'))
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .map((file) => ({ name: basename(file, '.yaml'), valuesFile: join('charts', 'audience-guard', 'examples', file) }));
  return [{ name: 'default' }, ...examples];
}

export function goldenPath(chartCase: ChartCase): string {
  return join(GOLDEN_DIR, `${chartCase.name}.yaml`);
}

function valuesArgs(chartCase: ChartCase, extra: readonly string[]): string[] {
  return [...(chartCase.valuesFile === undefined ? [] : ['--values', chartCase.valuesFile]), ...extra];
}

/** `helm lint --strict` output; throws with Helm's output when the chart does not lint. */
export function lintChart(chartCase: ChartCase): string {
  const result = runHelm(['lint', '--strict', CHART_DIR, ...valuesArgs(chartCase, [])]);
  if (result.status !== 0) throw new Error(`helm lint --strict (${chartCase.name}) failed:\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

/** The `helm template` output; throws with Helm's message on failure. */
export function renderChart(chartCase: ChartCase, extra: readonly string[] = []): string {
  const result = tryRenderChart(chartCase, extra);
  if (result.status !== 0) throw new Error(`helm template (${chartCase.name}) failed:\n${result.stderr}`);
  return result.stdout;
}

export function tryRenderChart(chartCase: ChartCase, extra: readonly string[] = []): { status: number; stdout: string; stderr: string } {
  return runHelm(['template', RELEASE_NAME, CHART_DIR, '--namespace', RELEASE_NAMESPACE, ...valuesArgs(chartCase, extra)]);
}

const cache = new Map<string, string>();

/** renderChart, once per case per process. */
export function renderedChart(chartCase: ChartCase): string {
  let text = cache.get(chartCase.name);
  if (text === undefined) {
    text = renderChart(chartCase);
    cache.set(chartCase.name, text);
  }
  return text;
}

/** Every non-empty document of a YAML stream. */
export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text, { uniqueKeys: true }).flatMap((document) => {
    if (document.errors.length > 0) throw new Error(document.errors.map((error) => error.message).join('\n'));
    const value = document.toJS() as Manifest | null;
    return value === null ? [] : [value];
  });
}

export function findManifest(manifests: readonly Manifest[], kind: string, name?: string): Manifest | undefined {
  return manifests.find((manifest) => manifest.kind === kind && (name === undefined || manifest.metadata.name === name));
}
