// The decision core's purity rule (eslint.config.js): a file in src/core may
// import only other files of src/core and node:crypto, and may not reach for
// fetch, the clock, timers, the process or the console. Each fixture below
// breaks the rule once, linted with the project's own configuration as if it
// were a file in src/core; each must be reported, and a clean one must not.
import { strict as assert } from 'node:assert';
import { ESLint } from 'eslint';

/** Only the purity rules, without type information: they need none, and the fixtures are not on disk. */
const eslint = new ESLint({
  cwd: process.cwd(),
  overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
  ruleFilter: ({ ruleId }) => ruleId.startsWith('no-restricted-'),
});

async function reportedRules(text: string, filePath = 'src/core/fixture.ts'): Promise<string[]> {
  const [result] = await eslint.lintText(text, { filePath });
  assert.ok(result !== undefined);
  assert.deepEqual(result.messages.filter((message) => message.fatal === true), [], 'the fixture parses');
  return result.messages.map((message) => message.ruleId ?? '');
}

const BREAKS: readonly { readonly name: string; readonly text: string; readonly rule: string }[] = [
  { name: 'an import of node:fs', text: "import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n", rule: 'no-restricted-imports' },
  { name: 'an import of fs without the node: prefix', text: "import { readFileSync } from 'fs';\nexport const read = readFileSync;\n", rule: 'no-restricted-imports' },
  { name: 'an import of an adapter (../obs/…)', text: "import { createLogger } from '../obs/logger.ts';\nexport const logger = createLogger;\n", rule: 'no-restricted-imports' },
  { name: 'a type-only import of an adapter', text: "import type { Metrics } from '../obs/metrics.ts';\nexport type M = Metrics;\n", rule: 'no-restricted-imports' },
  { name: 'an import of a package', text: "import { LRUCache } from 'lru-cache';\nexport const cache = LRUCache;\n", rule: 'no-restricted-imports' },
  { name: 'a re-export of a package', text: "export * from 'pino';\n", rule: 'no-restricted-imports' },
  { name: 'an import from a sub-folder path that leaves src/core', text: "import { x } from '../server/x.ts';\nexport const y = x;\n", rule: 'no-restricted-imports' },
  { name: 'a dynamic import', text: "export const load = (): Promise<unknown> => import('node:fs');\n", rule: 'no-restricted-syntax' },
  { name: 'an import type expression', text: "export type Stats = import('node:fs').Stats;\n", rule: 'no-restricted-syntax' },
  { name: 'Date.now()', text: 'export const now = (): number => Date.now();\n', rule: 'no-restricted-globals' },
  { name: 'new Date()', text: 'export const today = (): unknown => new Date();\n', rule: 'no-restricted-globals' },
  { name: 'performance.now()', text: 'export const now = (): number => performance.now();\n', rule: 'no-restricted-globals' },
  { name: 'setTimeout', text: 'export function later(run: () => void): void { setTimeout(run, 10); }\n', rule: 'no-restricted-globals' },
  { name: 'setInterval', text: 'export function often(run: () => void): void { setInterval(run, 10); }\n', rule: 'no-restricted-globals' },
  { name: 'setImmediate', text: 'export function soon(run: () => void): void { setImmediate(run); }\n', rule: 'no-restricted-globals' },
  { name: 'process.env', text: "export const level = process.env['LOG_LEVEL'];\n", rule: 'no-restricted-globals' },
  { name: 'fetch', text: "export const get = (): Promise<unknown> => fetch('https://idp.example.com/jwks');\n", rule: 'no-restricted-globals' },
  { name: 'globalThis.fetch', text: "export const get = (): Promise<unknown> => globalThis.fetch('https://idp.example.com/jwks');\n", rule: 'no-restricted-properties' },
  { name: 'globalThis.setTimeout', text: 'export function later(run: () => void): void { globalThis.setTimeout(run, 10); }\n', rule: 'no-restricted-properties' },
  { name: 'globalThis.Date', text: 'export const now = (): number => globalThis.Date.now();\n', rule: 'no-restricted-properties' },
  { name: 'console.log', text: "export function say(): void { console.log('decided'); }\n", rule: 'no-restricted-globals' },
];

describe('lint: the decision core is pure (allow-list)', () => {
  for (const { name, text, rule } of BREAKS) {
    it(`attack: ${name} in src/core must be reported (${rule})`, async () => {
      assert.ok((await reportedRules(text)).includes(rule), `expected ${rule}`);
    });
  }

  it('reports nothing for a clean core file: same-folder imports, node:crypto, queueMicrotask, Buffer', async () => {
    const clean = [
      "import { hash } from 'node:crypto';",
      "import type { Reason } from './reasons.ts';",
      "export { tokenDigest } from './token-hash.ts';",
      "export const digest = (token: string): Buffer => hash('sha256', token, 'buffer');",
      'export function later(run: () => void): void { queueMicrotask(run); }',
      'export type R = Reason;',
      '',
    ].join('\n');
    assert.deepEqual(await reportedRules(clean), []);
  });

  it('applies to src/core only: the same imports are fine in an adapter', async () => {
    assert.deepEqual(await reportedRules("import { readFileSync } from 'node:fs';\nexport const now = Date.now() + readFileSync.length;\n", 'src/server/fixture.ts'), []);
  });

  it('holds for every file in src/core today', async () => {
    const results = await eslint.lintFiles(['src/core/**/*.ts']);
    assert.ok(results.length > 10, 'the core files were linted');
    assert.deepEqual(results.flatMap((result) => result.messages.map((message) => `${result.filePath}:${String(message.line)} ${message.message}`)), []);
  });
});
