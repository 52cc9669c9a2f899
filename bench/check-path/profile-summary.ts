/**
 * Reads a V8 CPU profile (`node --cpu-prof`) and prints where the time went:
 * self time by package or source folder, the hottest functions by self time,
 * and the project's own functions by inclusive time. Only samples from the
 * first Check call on are counted (start-up is left out); percentages are of
 * the busy ones (everything but `(idle)`).
 *
 *   node bench/check-path/profile-summary.ts bench/results/profiles/audience-guard.cpuprofile [--top 25]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  /** Node id of each sample, in time order. */
  readonly samples: readonly number[];
}

/** Hit counts per node from the first sample taken inside a `Check` handler on. */
function hitsFromFirstCheck(profile: CpuProfile): Map<number, number> {
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const insideCheck = (id: number): boolean => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) if (byId.get(at)?.callFrame.functionName === 'Check') return true;
    return false;
  };
  const first = profile.samples.findIndex(insideCheck);
  const hits = new Map<number, number>();
  for (const id of profile.samples.slice(Math.max(0, first))) hits.set(id, (hits.get(id) ?? 0) + 1);
  return hits;
}

/** Where a frame comes from: a package, a folder of this repository, Node internals, or a V8 pseudo-frame. */
export function categoryOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const packageMatch = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (packageMatch !== null) return packageMatch[1]!;
  if (url.startsWith('node:')) return url.replace(/^node:(internal\/)?/, 'node:').split('/').slice(0, 2).join('/');
  const sourceMatch = /\/(src\/[^/]+|bench|test)\//.exec(url);
  return sourceMatch?.[1] ?? url;
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url === '' ? '' : ` ${url.replace(/^.*\/(node_modules|src)\//, '$1/').replace(/^file:\/\//, '')}:${String(lineNumber + 1)}`;
  return `${functionName === '' ? '(anonymous)' : functionName}${where}`;
}

export function summarizeProfile(profile: CpuProfile, top = 25): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const hitsOf = hitsFromFirstCheck(profile);
  const inclusive = new Map<number, number>();
  const total = (node: ProfileNode): number => {
    const known = inclusive.get(node.id);
    if (known !== undefined) return known;
    let sum = hitsOf.get(node.id) ?? 0;
    for (const child of node.children ?? []) sum += total(byId.get(child)!);
    inclusive.set(node.id, sum);
    return sum;
  };
  const self = new Map<string, number>();
  const categories = new Map<string, number>();
  const ownInclusive = new Map<string, number>();
  let busy = 0;
  for (const node of profile.nodes) {
    const hits = hitsOf.get(node.id) ?? 0;
    const category = categoryOf(node.callFrame.url, node.callFrame.functionName);
    if (category !== '(idle)') busy += hits;
    self.set(label(node), (self.get(label(node)) ?? 0) + hits);
    categories.set(category, (categories.get(category) ?? 0) + hits);
    if (category.startsWith('src/')) ownInclusive.set(label(node), (ownInclusive.get(label(node)) ?? 0) + total(node));
  }
  const percent = (hits: number): string => `${((100 * hits) / Math.max(1, busy)).toFixed(1).padStart(5)}%`;
  const ranked = (map: Map<string, number>, count: number): string[] =>
    [...map].filter(([name]) => name !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, count).map(([name, hits]) => `  ${percent(hits)}  ${name}`);
  return [
    `busy samples: ${String(busy)} (idle: ${String(categories.get('(idle)') ?? 0)})`,
    'self time by origin:', ...ranked(categories, 16),
    `hottest functions (self):`, ...ranked(self, top),
    'project functions (inclusive):', ...ranked(ownInclusive, top),
  ].join('\n');
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
  for (const file of positionals) {
    process.stdout.write(`== ${file}\n${summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, Number(values.top))}\n`);
  }
}
