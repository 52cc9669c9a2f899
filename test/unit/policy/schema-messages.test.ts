// Schema problems are told in people's words (src/policy/schema-messages.ts):
// every pattern of the policy schema has its words, so no regular expression
// ever reaches `validate`, serve's start-up errors, the logs or a status.
import { strict as assert } from 'node:assert';
import { AudiencePolicySchema } from '../../../src/policy/policy-schema.ts';
import { WORDED_PATTERNS } from '../../../src/policy/schema-messages.ts';
import { validatePolicy } from '../../../src/policy/validate-policy.ts';

function patternsIn(value: unknown): string[] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]) => (key === 'pattern' && typeof inner === 'string' ? [inner] : patternsIn(inner)));
}

describe('schema problems in people\'s words', () => {
  it('must have words for every pattern of the AudiencePolicy schema', () => {
    const patterns = [...new Set(patternsIn(AudiencePolicySchema))];
    assert.ok(patterns.length >= 5);
    for (const pattern of patterns) assert.ok(WORDED_PATTERNS.includes(pattern), `no words for the pattern ${pattern}`);
  });

  it('must name the field a document lacks, and say what a field must be without schema keywords', () => {
    const result = validatePolicy({ apiVersion: 'audienceguard.dev/v1alpha1', kind: 'AudiencePolicy', metadata: { name: 'x' }, spec: { issuers: [], hosts: 'one', clockSkewSeconds: -1 } });
    assert.ok(!result.valid);
    const problems = result.problems.map((problem) => `${problem.path}: ${problem.message}`);
    assert.ok(problems.includes('/spec: the field "resource" is required'), problems.join('\n'));
    assert.ok(problems.includes('/spec/issuers: must list at least 1 entry'), problems.join('\n'));
    assert.ok(problems.includes('/spec/hosts: must be a list'), problems.join('\n'));
    assert.ok(problems.includes('/spec/clockSkewSeconds: must be at least 0'), problems.join('\n'));
    for (const problem of problems) assert.doesNotMatch(problem, /must NOT|must match|must have required|must be >=|must be array/);
  });
});
