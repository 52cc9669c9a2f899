/**
 * Fuzzing policy documents: random values and mutated real policies (as
 * objects, YAML and JSON text, and text-mutated YAML with anchors, aliases,
 * tags, duplicate keys and prototype names) into validatePolicy and
 * readPolicyStream, every valid one on into compilePolicy, and a few files
 * through `audience-guard validate` as users run it. Invariants: nothing
 * throws or crashes; every problem carries its origin (`FILE#INDEX`), a JSON
 * pointer and a message; the CLI exits 0, 1 or 2 and prints every problem as
 * `FILE#INDEX PATH: MESSAGE`.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { readPolicyStream } from '../../src/policy/policy-documents.ts';
import { validatePolicy } from '../../src/policy/validate-policy.ts';
import { MutationFuzzer } from '../support/mutation-fuzzer.ts';
import { captureOutput } from '../support/secret-ledger.ts';
import { assertNoViolations, closeSharedFuzzWorld, fcParameters, printSummary, scaled, sharedFuzzWorld, targetSeed } from './fuzz-config.ts';
import { runCases } from './fuzz-stats.ts';
import { policyCase } from './fuzz-targets.ts';
import type { FuzzWorld } from './fuzz-world.ts';

const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;

interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

function validate(files: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, 'validate', ...files], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('close', (code, signal) => {
      captureOutput(stdout);
      captureOutput(stderr);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/**
 * yaml reports a complex mapping key (`? [a]: b`) through process.emitWarning
 * while turning it into a string key; the fuzzer makes thousands of those, so
 * they are kept off the test output here (the service would print the same
 * warning, once per reload, for such a file).
 */
async function withoutYAMLKeyWarnings<T>(run: () => Promise<T>): Promise<T> {
  const original = Object.getOwnPropertyDescriptor(process, 'emitWarning');
  const emit = process.emitWarning.bind(process);
  process.emitWarning = (warning: string | Error, ...rest: never[]): void => {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (!text.startsWith('Keys with collection values will be stringified')) emit(warning, ...rest);
  };
  try {
    return await run();
  } finally {
    if (original !== undefined) Object.defineProperty(process, 'emitWarning', original);
  }
}

function wellFormedProblem(problem: { path: string; message: string }): boolean {
  return typeof problem.path === 'string' && problem.path.startsWith('/') && typeof problem.message === 'string' && problem.message.length > 0;
}

after(closeSharedFuzzWorld);

describe('fuzz: policy documents into the validator, the stream reader, the compiler and `audience-guard validate`', function () {
  this.timeout(60_000);
  let world: FuzzWorld;
  let dir: string;

  before(async function () {
    world = await sharedFuzzWorld();
    dir = await mkdtemp(join(tmpdir(), 'audience-guard-fuzz-'));
  });

  after(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  it('validatePolicy never throws for any value, and every problem has a JSON pointer and a message (fast-check)', function () {
    const documentArb = fc.oneof(
      fc.anything({ maxDepth: 4 }),
      fc.record({ apiVersion: fc.constantFrom('audienceguard.dev/v1alpha1', 'v1'), kind: fc.constantFrom('AudiencePolicy', 'x'), metadata: fc.anything({ maxDepth: 2 }), spec: fc.anything({ maxDepth: 3 }) }, { requiredKeys: [] }),
      fc.dictionary(fc.constantFrom('resource', 'audiences', 'hosts', 'pathPrefixes', 'issuers', 'requiredScopes', 'scopeImplications', 'mode', 'clockSkewSeconds', 'resourceMetadata', 'upstream', '__proto__'), fc.jsonValue({ maxDepth: 3 }))
        .map((spec) => ({ apiVersion: 'audienceguard.dev/v1alpha1', kind: 'AudiencePolicy', metadata: { name: 'p' }, spec })),
    );
    fc.assert(fc.property(documentArb, (document) => {
      const validation = validatePolicy(document);
      if (!validation.valid) for (const problem of validation.problems) assert.ok(wellFormedProblem(problem), JSON.stringify(problem));
    }), fcParameters(401, 1000));
  });

  it('readPolicyStream never throws for any text, and every problem has origin, path and message (fast-check)', async function () {
    const textArb = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.array(fc.constantFrom('apiVersion: audienceguard.dev/v1alpha1\n', 'kind: AudiencePolicy\n', 'metadata: {name: a}\n', 'spec:\n', '  resource: https://a.example/x\n', '  issuers: [{issuer: https://i.example}]\n', '---\n', '&a x\n', '*a\n', '? [a]\n: b\n', 'a: 1\na: 2\n', '\t- x\n', '!!binary AAAA\n', '%YAML 1.1\n', '"\\ud800"\n'), { maxLength: 12 }).map((lines) => lines.join('')),
    );
    await withoutYAMLKeyWarnings(() => {
      fc.assert(fc.property(textArb, (text) => {
        const result = readPolicyStream('fuzz.yaml', text);
        for (const problem of result.problems) assert.ok(/^fuzz\.yaml#\d+$/.test(problem.origin) && wellFormedProblem(problem), JSON.stringify(problem));
      }), fcParameters(402, 1000));
      return Promise.resolve();
    });
  });

  it('mutated real policies as objects, YAML and JSON: no throw, problems well formed, every valid one compiles (mutation fuzzer)', async function () {
    const seed = targetSeed(4);
    const started = performance.now();
    const stats = await withoutYAMLKeyWarnings(() => runCases(scaled(400), seed, 1, (fuzzer, caseStats) => { policyCase(world, fuzzer, caseStats); }));
    printSummary('policy documents', seed, stats, performance.now() - started);
    assertNoViolations('policy documents', stats);
    assert.ok((stats.outcomes.get('policy: valid') ?? 0) > 0 && (stats.outcomes.get('policy: invalid') ?? 0) > 0);
  });

  it('audience-guard validate exits 0 or 1 and prints FILE#INDEX PATH: MESSAGE for every problem (spawned on real, mutated and garbage files)', async function () {
    const fuzzer = new MutationFuzzer(targetSeed(5));
    const valid = join(dir, 'valid.yaml');
    const mutated = join(dir, 'mutated.yaml');
    const garbage = join(dir, 'garbage.yaml');
    await writeFile(valid, world.policyYAML);
    let invalidText = '';
    while (invalidText === '') {
      const candidate = stringify(fuzzer.mutateDocument(fuzzer.random.pick(world.documents)).value);
      if (readPolicyStream(mutated, candidate).problems.length > 0) invalidText = `${world.policyYAML}---\n${candidate}`;
    }
    await writeFile(mutated, invalidText);
    await writeFile(garbage, fuzzer.mutateBytes(Buffer.from(world.policyYAML), [], 40).value);
    // Two spawns (each loads the whole CLI): the real policies alone, then real, mutated and garbage files together.
    const [validRun, fuzzedRun] = await Promise.all([validate([valid]), validate([valid, mutated, garbage])]);
    for (const run of [validRun, fuzzedRun]) {
      assert.equal(run.signal, null);
      assert.ok(run.code === 0 || run.code === 1 || run.code === 2, `exit ${String(run.code)}`);
    }
    assert.equal(validRun.code, 0);
    assert.match(validRun.stdout, /^2 valid policies$/m);
    assert.equal(fuzzedRun.code, 1);
    const lines = fuzzedRun.stderr.trim().split('\n');
    assert.match(lines.pop()!, /^\d+ problem\(s\); \d+ valid policies$/);
    assert.ok(lines.some((line) => line.startsWith(`${mutated}#1 `)), 'the mutated document is reported with its index');
    for (const line of lines) assert.ok(/^\S+\.yaml#\d+ \/.*: .+/.test(line) && line.startsWith(`${dir}/`), line);
  });
});
