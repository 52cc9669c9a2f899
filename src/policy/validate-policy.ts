/**
 * The validator shared by the server, `audience-guard validate` and the
 * Kubernetes source: the JSON Schema of src/policy/policy-schema.ts, then the
 * rule table of src/policy/policy-rules.ts. The CRD is generated from the same
 * two sources, so the API server and the process refuse the same documents.
 */
import { Ajv, type ErrorObject } from 'ajv';
import { AudiencePolicySchema, type AudiencePolicyDocument } from './policy-schema.ts';
import { policyRuleProblems } from './policy-rule-checks.ts';
import { schemaMessage } from './schema-messages.ts';

export interface PolicyProblem {
  /** JSON pointer inside the document, e.g. `/spec/issuers/0/issuer`. */
  readonly path: string;
  readonly message: string;
  /**
   * The `Accepted=False` condition reason (CamelCase) when the problem is not a
   * plain validation failure, e.g. `SecretFileNotAllowed` or `HostNotAllowed`.
   * Absent: `Invalid`.
   */
  readonly reason?: string;
}

export type PolicyValidation =
  | { readonly valid: true; readonly policy: AudiencePolicyDocument }
  | { readonly valid: false; readonly problems: readonly PolicyProblem[] };

const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
const validateSchema = ajv.compile<AudiencePolicyDocument>(AudiencePolicySchema);

/** The literal values of a union of `const` branches (TypeBox `Union([Literal…])`), if it is one. */
function unionLiterals(error: ErrorObject): string[] | undefined {
  const branches = error.schema;
  if (!Array.isArray(branches)) return undefined;
  const values = branches.map((branch: unknown) => (branch as { const?: unknown }).const);
  return values.every((value) => typeof value === 'string') ? (values) : undefined;
}

function schemaProblem(error: ErrorObject): PolicyProblem {
  if (error.keyword === 'anyOf') {
    const literals = unionLiterals(error);
    return {
      path: error.instancePath === '' ? '/' : error.instancePath,
      message: literals === undefined ? 'does not have any of the allowed forms' : `must be one of: ${literals.join(', ')}`,
    };
  }
  // Every other keyword in people's words: never a regular expression or a schema keyword.
  return schemaMessage(error);
}

/**
 * A union reports one error per branch and then `anyOf`; keep only the `anyOf`
 * summary for it, and every other distinct problem.
 */
function schemaProblems(errors: readonly ErrorObject[]): PolicyProblem[] {
  const unionPaths = new Set(errors.filter((error) => error.keyword === 'anyOf').map((error) => error.instancePath));
  const seen = new Set<string>();
  const problems: PolicyProblem[] = [];
  for (const error of errors) {
    if (error.keyword !== 'anyOf' && unionPaths.has(error.instancePath)) continue;
    const problem = schemaProblem(error);
    const key = `${problem.path}\u0000${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
  }
  return problems;
}

/** Validates one parsed document; never throws. */
export function validatePolicy(document: unknown): PolicyValidation {
  if (!validateSchema(document)) {
    return { valid: false, problems: schemaProblems(validateSchema.errors ?? []) };
  }
  const problems = policyRuleProblems(document.spec);
  return problems.length === 0 ? { valid: true, policy: document } : { valid: false, problems };
}
