/**
 * Whether the API server (the generated CRD, modelled by crd-admission.ts)
 * and the process (validatePolicy) agree on one AudiencePolicy object. They
 * must agree layer by layer: the schema (structural schema vs the TypeBox
 * schema), then — when both schemas pass — rule by rule (each CEL failure is
 * a process problem with the same message at or under the same field, and
 * back). Agreement only on the final verdict could hide a schema gap behind
 * an unrelated rule failure.
 */
import { strict as assert } from 'node:assert';
import { audiencePolicySchema } from '../../src/policy/crd.ts';
import { POLICY_RULES } from '../../src/policy/policy-rules.ts';
import { validatePolicy, type PolicyProblem } from '../../src/policy/validate-policy.ts';
import { admit, type Admission } from './crd-admission.ts';

export const CRD_SCHEMA = audiencePolicySchema();
const RULE_MESSAGES = new Set(POLICY_RULES.map((rule) => rule.message));

export interface Verdicts {
  readonly admission: Admission;
  readonly processProblems: readonly PolicyProblem[];
}

function under(path: string, parent: string): boolean {
  return parent === '/' || path === parent || path.startsWith(`${parent}/`);
}

/** Asserts that both sides take `value` or both refuse it, for the same reasons; returns both verdicts. */
export function assertParity(value: unknown): Verdicts {
  const admission = admit(CRD_SCHEMA, value);
  const validation = validatePolicy(value);
  const processProblems = validation.valid ? [] : validation.problems;
  const shown = (): string => JSON.stringify({ value, schemaErrors: admission.schemaErrors, celFailures: admission.celFailures, processProblems });

  assert.equal(admission.admitted, validation.valid, `API server ${admission.admitted ? 'admits' : 'refuses'}, process ${validation.valid ? 'accepts' : 'refuses'}: ${shown()}`);
  if (admission.admitted) {
    assert.ok(validatePolicy(admission.stored).valid, `the process refuses the stored object: ${shown()}`);
    return { admission, processProblems };
  }
  const processSchemaPasses = processProblems.every((problem) => RULE_MESSAGES.has(problem.message));
  assert.equal(admission.schemaErrors.length === 0, processSchemaPasses, `the schemas disagree: ${shown()}`);
  if (!processSchemaPasses) return { admission, processProblems };
  for (const failure of admission.celFailures) {
    assert.ok(processProblems.some((problem) => problem.message === failure.message && under(problem.path, failure.path)), `only the CRD has ${failure.path}: ${failure.message}: ${shown()}`);
  }
  for (const problem of processProblems) {
    assert.ok(admission.celFailures.some((failure) => failure.message === problem.message && under(problem.path, failure.path)), `only the process has ${problem.path}: ${problem.message}: ${shown()}`);
  }
  return { admission, processProblems };
}
