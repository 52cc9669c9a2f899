#!/usr/bin/env node
// Runs the compiled CLI (dist/, from `npm run build`) when present, otherwise the
// TypeScript sources directly (Node >= 22.18 strips types natively).
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/cli/main.js', import.meta.url);
const { main } = await import(existsSync(compiled) ? compiled.href : new URL('../src/cli/main.ts', import.meta.url).href);
process.exitCode = await main(process.argv.slice(2));
