/**
 * Memory with many policies and a full token cache: audience-guard with
 * `rssPolicies` policies and `--token-cache-size rssTokens` receives that many
 * distinct valid tokens once each, twice — with V8's default heap sizing and
 * with a bounded heap, where heap use is close to live data. The server runs
 * as the container image runs it: compiled JavaScript from `dist/` (built
 * here with `npm run build`), not the TypeScript sources, whose on-the-fly
 * type stripping alone adds ~17 MiB of RSS.
 */
import { spawnSync } from 'node:child_process';
import { BenchContext } from './bench-context.ts';
import { writePolicyFile } from '../common/fixtures.ts';

/** Tokens sent per connection set while filling the cache. */
const FILL_SLICE = 10_000;

export type MemoryFigures = Readonly<Record<string, number | string>>;

async function memoryRun(context: BenchContext, name: string, policyFile: string, nodeArgs: readonly string[]): Promise<Record<string, number>> {
  const { config, log } = context;
  log(`memory (${nodeArgs.join(' ') || 'default V8 flags'}): ${String(config.rssPolicies)} policies, ${String(config.rssTokens)} distinct tokens`);
  const server = await context.guard(name, policyFile, ['--token-cache-size', String(config.rssTokens)], nodeArgs, true);
  const idleRss = server.rssMiB();
  // In slices, each on new connections: on a busy machine one fill can outlast the server's 5-minute connection age (GOAWAY).
  const began = performance.now();
  for (let start = 0; start < config.rssTokens; start += FILL_SLICE) await context.generator(server, start, Math.min(FILL_SLICE, config.rssTokens - start));
  const fill = { rps: config.rssTokens / ((performance.now() - began) / 1000) };
  const metrics = await server.metrics();
  const gauge = (metric: string): number => Number(new RegExp(`^audience_guard_${metric} (\\S+)`, 'm').exec(metrics)?.[1] ?? Number.NaN);
  const figures = {
    'tokens in the cache': gauge('token_cache_entries'),
    'fill rate, calls/s': fill.rps,
    'RSS after start, MiB': idleRss,
    'RSS after the tokens, MiB': server.rssMiB(),
    'peak RSS, MiB': server.peakRssMiB(),
    'V8 heap used, MiB': gauge('nodejs_heap_size_used_bytes') / 1_048_576,
    'V8 heap total, MiB': gauge('nodejs_heap_size_total_bytes') / 1_048_576,
  };
  await server.stop();
  return figures;
}

export async function memoryScenario(context: BenchContext): Promise<{ figures: MemoryFigures; peakRssMiB: number; cached: number }> {
  const { config } = context;
  context.log('memory: npm run build (the server runs from dist/, as in the image)');
  const build = spawnSync('npm', ['run', 'build'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (build.status !== 0) throw new Error('npm run build failed');
  const policyFile = await writePolicyFile(context.work, context.auth.issuer, config.rssPolicies);
  const defaults = await memoryRun(context, 'ag-memory', policyFile, []);
  const bounded = await memoryRun(context, 'ag-memory-bounded-heap', policyFile, config.memoryNodeArgs);
  const figures: Record<string, number | string> = { policies: config.rssPolicies, 'distinct valid tokens sent': config.rssTokens };
  for (const [key, value] of Object.entries(defaults)) figures[`${key} (default V8 flags)`] = value;
  for (const [key, value] of Object.entries(bounded)) figures[`${key} (${config.memoryNodeArgs.join(' ')})`] = value;
  return {
    figures,
    peakRssMiB: Math.min(defaults['peak RSS, MiB'] ?? Number.NaN, bounded['peak RSS, MiB'] ?? Number.NaN),
    cached: defaults['tokens in the cache'] ?? Number.NaN,
  };
}
