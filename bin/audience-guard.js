#!/usr/bin/env node
// The `audience-guard` command. First the Node.js version, against package.json
// `engines.node`, with nothing loaded that an older Node cannot run; then the
// compiled CLI (dist/, from `npm run build`) when present, otherwise the
// TypeScript sources directly (Node >= 22.18 strips types natively).
import { existsSync, readFileSync } from 'node:fs';
import { nodeVersionProblem } from './check-node-version.js';

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const problem = nodeVersionProblem(process.versions.node, manifest.engines?.node ?? '');
if (problem !== undefined) {
  process.stderr.write(`audience-guard: ${problem}\n`);
  process.exitCode = 1;
} else {
  const compiled = new URL('../dist/cli/main.js', import.meta.url);
  const { main } = await import(existsSync(compiled) ? compiled.href : new URL('../src/cli/main.ts', import.meta.url).href);
  process.exitCode = await main(process.argv.slice(2));
}
