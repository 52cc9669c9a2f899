// Reading AudiencePolicy YAML streams (docs/contract.md §1.1 `validate`, §1.2):
// every document of a stream is read and validated on its own; each problem names
// its origin `FILE#INDEX` (0-based) and a JSON pointer; duplicate keys are errors.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { readPolicyStream } from '../../../src/policy/policy-documents.ts';

function policyYAML(name: string, resource = 'https://mcp.example.com/mcp'): string {
  return [
    'apiVersion: audienceguard.dev/v1alpha1',
    'kind: AudiencePolicy',
    `metadata: {name: ${name}, namespace: mcp}`,
    'spec:',
    `  resource: ${resource}`,
    '  issuers:',
    '    - issuer: https://idp.example.com/realms/mcp',
    '',
  ].join('\n');
}

const FILE = 'policies.yaml';

describe('policy YAML streams', () => {
  it('reads one valid document', () => {
    const result = readPolicyStream(FILE, policyYAML('weather'));
    assert.deepEqual(result.problems, []);
    assert.equal(result.policies.length, 1);
    assert.equal(result.policies[0]?.origin, `${FILE}#0`);
    assert.equal(result.policies[0].document.metadata.name, 'weather');
    assert.equal(result.policies[0].document.spec.resource, 'https://mcp.example.com/mcp');
  });

  it('reads every document of a stream, each with its index', () => {
    const result = readPolicyStream(FILE, [policyYAML('a'), policyYAML('b'), policyYAML('c')].join('---\n'));
    assert.deepEqual(result.problems, []);
    assert.deepEqual(result.policies.map((policy) => [policy.origin, policy.document.metadata.name]), [[`${FILE}#0`, 'a'], [`${FILE}#1`, 'b'], [`${FILE}#2`, 'c']]);
  });

  it('skips an empty document but keeps counting indexes', () => {
    const result = readPolicyStream(FILE, `${policyYAML('a')}---\n---\n${policyYAML('c')}---\n`);
    assert.deepEqual(result.problems, []);
    assert.deepEqual(result.policies.map((policy) => policy.origin), [`${FILE}#0`, `${FILE}#2`]);
  });

  it('reads an empty file as no policies and no problems', () => {
    assert.deepEqual(readPolicyStream(FILE, ''), { policies: [], problems: [] });
    assert.deepEqual(readPolicyStream(FILE, '# only a comment\n'), { policies: [], problems: [] });
  });

  it('reports a syntax error in document 2 with origin #1 and keeps documents 1 and 3', () => {
    const broken = 'apiVersion: audienceguard.dev/v1alpha1\nspec: {resource: [\n';
    const result = readPolicyStream(FILE, `${policyYAML('a')}---\n${broken}---\n${policyYAML('c')}`);
    assert.ok(result.problems.length > 0);
    for (const problem of result.problems) assert.equal(problem.origin, `${FILE}#1`);
    assert.match(result.problems[0]?.message ?? '', /YAML/);
    assert.deepEqual(result.policies.map((policy) => policy.origin), [`${FILE}#0`, `${FILE}#2`]);
  });

  it('rejects a document with a duplicate key', () => {
    const duplicate = policyYAML('a').replace('spec:\n', 'kind: AudiencePolicy\nspec:\n');
    const result = readPolicyStream(FILE, duplicate);
    assert.equal(result.policies.length, 0);
    assert.ok(result.problems.length > 0);
    assert.equal(result.problems[0]?.origin, `${FILE}#0`);
  });

  it('names the line and column of a YAML error in the whole stream', () => {
    // Document 1 starts on line 9 (8 lines of document 0, then `---`); its duplicate `kind` is its line 3.
    const duplicate = policyYAML('b').replace('spec:\n', 'kind: AudiencePolicy\nspec:\n');
    const result = readPolicyStream(FILE, `${policyYAML('a')}---\n${duplicate}`);
    assert.deepEqual(result.policies.map((policy) => policy.origin), [`${FILE}#0`]);
    const [problem] = result.problems;
    assert.equal(problem?.origin, `${FILE}#1`);
    assert.match(problem.message, /^YAML: .*unique.* at line 12, column 1$/);
  });

  it('rejects a duplicate key nested inside spec', () => {
    const duplicate = policyYAML('a').replace('  issuers:', '  resource: https://evil.example.com/mcp\n  issuers:');
    const result = readPolicyStream(FILE, duplicate);
    assert.equal(result.policies.length, 0);
    assert.ok(result.problems.some((problem) => /unique|duplicate/i.test(problem.message)), JSON.stringify(result.problems));
  });

  it('reports validation problems with origin and JSON pointer', () => {
    const result = readPolicyStream(FILE, `${policyYAML('a')}---\n${policyYAML('b', 'http://mcp.example.com/mcp')}`);
    assert.equal(result.policies.length, 1);
    assert.deepEqual(result.problems.map((problem) => [problem.origin, problem.path]), [[`${FILE}#1`, '/spec/resource']]);
  });

  it('reports a document that is not a mapping', () => {
    const result = readPolicyStream(FILE, '- a\n- b\n');
    assert.equal(result.policies.length, 0);
    assert.equal(result.problems[0]?.origin, `${FILE}#0`);
  });

  it('reads YAML anchors and aliases within the limit', () => {
    const text = [
      'apiVersion: audienceguard.dev/v1alpha1',
      'kind: AudiencePolicy',
      'metadata: {name: a}',
      'spec:',
      '  resource: &r https://mcp.example.com/mcp',
      '  audiences: [*r]',
      '  issuers: [{issuer: https://idp.example.com}]',
      '',
    ].join('\n');
    const result = readPolicyStream(FILE, text);
    assert.deepEqual(result.problems, []);
    assert.deepEqual(result.policies[0]?.document.spec.audiences, ['https://mcp.example.com/mcp']);
  });

  // Regression (found by this suite, fixed): readPolicyStream promises "never throws", but `toJS()` runs outside the try and throws
  // a ReferenceError for an alias whose anchor does not exist ("Unresolved alias ..."). The
  // file source and `audience-guard validate` then see an exception instead of a problem with
  // origin FILE#INDEX.
  it('reports an unresolved alias as a problem instead of throwing', () => {
    const result = readPolicyStream(FILE, `${policyYAML('a')}---\nspec: *missing\n`);
    assert.equal(result.policies.length, 1);
    assert.ok(result.problems.some((problem) => problem.origin === `${FILE}#1`));
  });

  // Regression (found by this suite, fixed): same cause — an alias bomb exceeding maxAliasCount makes `toJS()` throw
  // ("Excessive alias count indicates a resource exhaustion attack") out of readPolicyStream
  // instead of being reported as a problem for that document.
  it('reports an alias bomb as a problem instead of throwing', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
      '',
    ].join('\n');
    const result = readPolicyStream(FILE, bomb);
    assert.equal(result.policies.length, 0);
    assert.ok(result.problems.some((problem) => problem.origin === `${FILE}#0`));
  });

  it('never throws for text without aliases, and names every problem\'s origin', () => {
    const text = fc.string({ unit: fc.constantFrom('a', ':', ' ', '\n', '-', '[', ']', '{', '}', '"', "'", '#', '!', '&', 'x', '1', '\t', '|', '>'), maxLength: 60 });
    fc.assert(fc.property(text, (value) => {
      const result = readPolicyStream(FILE, value);
      for (const problem of result.problems) assert.match(problem.origin, /^policies\.yaml#\d+$/);
    }), { numRuns: 1000 });
  });
});
