/**
 * `npm run golden:update`: re-renders charts/audience-guard with the real Helm binary for
 * the default values and every example, and rewrites test/golden/helm/<case>.yaml. Review
 * the diff: it is exactly what changes for users of the chart.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { relative } from 'node:path';
import { chartCases, GOLDEN_DIR, goldenPath, renderChart } from '../test/support/chart-render.ts';
import { REPO_ROOT } from '../test/support/helm.ts';

mkdirSync(GOLDEN_DIR, { recursive: true });
for (const chartCase of chartCases()) {
  const path = goldenPath(chartCase);
  const rendered = renderChart(chartCase);
  const before = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  writeFileSync(path, rendered);
  process.stdout.write(`${before === rendered ? 'unchanged' : 'updated  '} ${relative(REPO_ROOT, path)}\n`);
}
